using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Models;

/// <summary>Building blocks shared by the model families.</summary>
internal static class Layers
{
    /// <summary>
    /// A conv followed by batch norm carries no bias (BN's shift makes it redundant); without BN the conv
    /// gets a bias so that the network keeps an affine shift per channel. The choice never depends on the
    /// shortcuts, so plain and residual forms stay parameter-identical.
    /// </summary>
    internal static Conv2d Conv(long inChannels, long outChannels, long kernel, long stride, bool batchNorm) =>
        nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2, bias: !batchNorm);

    internal static BatchNorm2d? BatchNorm(long channels, bool batchNorm) =>
        batchNorm ? nn.BatchNorm2d(channels) : null;

    /// <summary>conv, then BN when present; the conv output is released as soon as BN has consumed it.</summary>
    internal static Tensor ConvBn(Conv2d conv, BatchNorm2d? bn, Tensor x)
    {
        var y = conv.call(x);
        if (bn is null) return y;
        using (y) return bn.call(y);
    }

    /// <summary>
    /// conv, BN, ReLU. The ReLU is in place: neither conv nor BN needs its own output for the backward pass.
    /// </summary>
    internal static Tensor ConvBnRelu(Conv2d conv, BatchNorm2d? bn, Tensor x) => ConvBn(conv, bn, x).relu_();
}
