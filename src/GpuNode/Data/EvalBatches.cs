using TorchSharp;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Data;

/// <summary>Evaluation batches: every sample once, in dataset order, never augmented, the last partial batch kept.</summary>
public static class EvalBatches
{
    /// <summary>
    /// X float32 [B, C, H, W] normalised and Y int64 [B] on the device. Each batch is owned by the
    /// enumeration and disposed when it moves on or stops; clone anything kept past the step.
    /// </summary>
    public static IEnumerable<(Tensor X, Tensor Y)> Enumerate(TensorDataset data, int batchSize, Normalization normalization, Device? device = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        normalization.Validate(data.Channels);
        return Iterate(data, batchSize, normalization, device ?? CPU);
    }

    public static int Count(TensorDataset data, int batchSize) => (data.Count + batchSize - 1) / batchSize;

    private static IEnumerable<(Tensor X, Tensor Y)> Iterate(TensorDataset data, int batchSize, Normalization normalization, Device device)
    {
        using var mean = tensor(normalization.Mean, [1, data.Channels, 1, 1], device: device).DetachFromDisposeScope();
        using var std = tensor(normalization.Std, [1, data.Channels, 1, 1], device: device).DetachFromDisposeScope();
        for (var start = 0; start < data.Count; start += batchSize)
        {
            var n = Math.Min(batchSize, data.Count - start);
            Tensor x, y;
            using (var scope = NewDisposeScope())
            {
                x = data.Images.narrow(0, start, n).to(device).to(ScalarType.Float32).div_(255).sub_(mean).div_(std);
                var labels = data.Labels.narrow(0, start, n);
                // A copy, so that in-place work on Y can never write into the dataset.
                y = device.type == DeviceType.CPU ? labels.clone() : labels.to(device);
                x.DetachFromDisposeScope();
                y.DetachFromDisposeScope();
            }
            try { yield return (x, y); }
            finally { x.Dispose(); y.Dispose(); }
        }
    }
}
