using TorchSharp;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Data;

/// <summary>
/// A labelled image set held as two CPU tensors: <see cref="Images"/> uint8 [N, C, H, W] (raw 0..255
/// pixels) and <see cref="Labels"/> int64 [N]. Batching gathers and converts whole batches with tensor
/// ops, so nothing loops over samples per step. The dataset owns its tensors: they are detached from any
/// dispose scope at construction and freed by <see cref="Dispose"/>.
/// </summary>
public sealed class TensorDataset : IDisposable
{
    public TensorDataset(Tensor images, Tensor labels, IReadOnlyList<string> classNames)
    {
        if (images.dim() != 4 || images.dtype != ScalarType.Byte)
            throw new ArgumentException($"Images must be uint8 [N, C, H, W], got {images.dtype} [{string.Join(", ", images.shape)}].", nameof(images));
        if (labels.dim() != 1 || labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"Labels must be int64 [N], got {labels.dtype} [{string.Join(", ", labels.shape)}].", nameof(labels));
        if (labels.shape[0] != images.shape[0])
            throw new ArgumentException($"{images.shape[0]} images but {labels.shape[0]} labels.", nameof(labels));
        if (classNames.Count == 0) throw new ArgumentException("At least one class name is required.", nameof(classNames));
        if (images.shape[0] > 0)
        {
            using var scope = NewDisposeScope();
            var (min, max) = (labels.min().ToInt64(), labels.max().ToInt64());
            if (min < 0 || max >= classNames.Count)
                throw new ArgumentException($"Labels span {min}..{max} but there are {classNames.Count} classes.", nameof(labels));
        }
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        ClassNames = classNames;
    }

    /// <summary>uint8 [N, C, H, W], raw pixel values 0..255, on the CPU.</summary>
    public Tensor Images { get; }

    /// <summary>int64 [N], class indices into <see cref="ClassNames"/>.</summary>
    public Tensor Labels { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public int Count => (int)Images.shape[0];
    public int Channels => (int)Images.shape[1];
    public int Height => (int)Images.shape[2];
    public int Width => (int)Images.shape[3];
    public int Classes => ClassNames.Count;

    /// <summary>A new dataset holding copies of the samples at <paramref name="indices"/>, in that order.</summary>
    public TensorDataset Select(long[] indices)
    {
        using var scope = NewDisposeScope();
        using var index = tensor(indices, ScalarType.Int64);
        return new TensorDataset(Images.index_select(0, index), Labels.index_select(0, index), ClassNames);
    }

    /// <summary>The first <paramref name="count"/> samples (all of them when there are fewer), as a copy.</summary>
    public TensorDataset Take(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "must not be negative");
        using var scope = NewDisposeScope();
        var n = Math.Min(count, Count);
        return new TensorDataset(Images.narrow(0, 0, n).clone(), Labels.narrow(0, 0, n).clone(), ClassNames);
    }

    /// <summary>Samples per class, indexed like <see cref="ClassNames"/>.</summary>
    public long[] ClassCounts()
    {
        using var scope = NewDisposeScope();
        return Labels.bincount(null, Classes).data<long>().ToArray();
    }

    /// <summary>
    /// Per-channel mean and (population) standard deviation of the pixels scaled to [0, 1]. Summed in
    /// exact integer arithmetic over chunks, so a 50,000-image set never needs a float copy of itself.
    /// </summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        if (Count == 0) throw new InvalidOperationException("Channel statistics of an empty dataset are undefined.");
        var sums = new long[Channels];
        var squares = new long[Channels];
        const int chunk = 1024;
        for (var start = 0; start < Count; start += chunk)
        {
            using var scope = NewDisposeScope();
            var x = Images.narrow(0, start, Math.Min(chunk, Count - start)).to(ScalarType.Int64);
            var s = x.sum([0, 2, 3]).data<long>().ToArray();
            var q = x.mul(x).sum([0, 2, 3]).data<long>().ToArray();
            for (var c = 0; c < Channels; c++) { sums[c] += s[c]; squares[c] += q[c]; }
        }
        var perChannel = (double)Count * Height * Width;
        var mean = new float[Channels];
        var std = new float[Channels];
        for (var c = 0; c < Channels; c++)
        {
            var m = sums[c] / perChannel;
            var variance = Math.Max(0, squares[c] / perChannel - m * m);
            mean[c] = (float)(m / 255);
            std[c] = (float)(Math.Sqrt(variance) / 255);
        }
        return (mean, std);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
