using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Benchmarks;

/// <summary>
/// Arithmetic of a model per image, counted on the model itself: forward hooks on every conv and linear
/// layer see the layer's actual output shape, so strides, padding, stems and pooling need no bookkeeping
/// here and the count follows the model zoo as it changes.
/// </summary>
/// <remarks>
/// Approximation: only conv and linear layers are counted. Batch norm, ReLU, pooling, the shortcut
/// additions and the optimizer's update are a few operations per activation or parameter, under 1% of
/// the convolutions' k·k·C_in multiply-adds per output for the nets benchmarked here.
/// </remarks>
public static class FlopCounter
{
    /// <summary>
    /// Multiply-accumulates of one image's forward pass: each conv or linear output element costs
    /// (in_channels / groups)·k_h·k_w, respectively in_features, of them; that is the weight's element
    /// count per output channel, whatever the layer.
    /// </summary>
    public static long ForwardMacsPerImage(ModelSpec spec)
    {
        using var model = ModelFactory.Create(spec);
        model.eval();
        long macs = 0;
        var removeHooks = new List<Action>();
        foreach (var module in model.modules())
        {
            var weight = module switch
            {
                Convolution conv => conv.weight,
                Linear linear => linear.weight,
                _ => null,
            };
            if (weight is null) continue;
            var macsPerOutput = weight.numel() / weight.shape[0];
            var hook = ((nn.Module<Tensor, Tensor>)module).register_forward_hook((_, _, output) =>
            {
                macs += output.numel() * macsPerOutput;
                return output;
            });
            removeHooks.Add(hook.remove);
        }
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            model.call(zeros(1, spec.InputChannels, spec.InputSize, spec.InputSize));
        }
        finally
        {
            foreach (var remove in removeHooks) remove();
        }
        return macs;
    }

    /// <summary>
    /// Floating-point operations of one image's training step, ≈ 3 × the forward FLOPs (2 per multiply-add):
    /// the backward pass runs each layer twice more at the forward's cost, once for the gradient of its input
    /// and once for that of its weight. The first layer's input gradient is not needed and libtorch skips
    /// it, so this overstates a training step by the share of that one layer (under 1% for these nets).
    /// </summary>
    public static double TrainingFlopsPerImage(ModelSpec spec) => 3.0 * 2.0 * ForwardMacsPerImage(spec);
}
