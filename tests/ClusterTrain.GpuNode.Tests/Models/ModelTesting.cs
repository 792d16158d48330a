using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Tests.Models;

internal static class ModelTesting
{
    internal static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());

    internal static Parameter Param(nn.Module module, string name) =>
        module.named_parameters().Single(p => p.name == name).parameter;

    /// <summary>Building with the default init skips a second pass over the weights where only shapes matter.</summary>
    internal static nn.Module<Tensor, Tensor> Build(ModelSpec spec) => ModelFactory.Create(spec with { Init = InitScheme.Default });

    /// <summary>
    /// He et al. 2016 section 4.2, counted by hand: a 3x3 stem conv to w channels, then per stage 2n 3x3 convs
    /// (the first widening from the previous stage), each conv followed by BN (weight and bias per channel) or
    /// carrying a bias; then a w*4 -> classes linear layer.
    /// </summary>
    internal static long CifarParameters(int depth, bool batchNorm, int inputChannels = 3, int classes = 10, long width = 16)
    {
        long n = (depth - 2) / 6;
        long w1 = width, w2 = 2 * width, w3 = 4 * width;
        var convWeights = 9 * (inputChannels * w1
                               + 2 * n * w1 * w1
                               + w1 * w2 + (2 * n - 1) * w2 * w2
                               + w2 * w3 + (2 * n - 1) * w3 * w3);
        var convOutputChannels = w1 + 2 * n * (w1 + w2 + w3);
        var perChannel = batchNorm ? 2 : 1;
        return convWeights + perChannel * convOutputChannels + w3 * classes + classes;
    }
}
