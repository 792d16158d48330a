using ClusterTrain.Shared.GradientStats;
using TorchSharp;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Training;

/// <summary>
/// Per-layer gradient statistics of a model's weight tensors, computed on the model's device.
/// Everything for one snapshot is reduced into two small device tensors and copied to the host once,
/// after the optimizer step (so that the update-to-weight ratio of that step is included); a per-parameter
/// <c>.item()</c> would force one device synchronisation per layer.
/// </summary>
/// <remarks>
/// The gradients of consecutive layers are concatenated into one flat vector per group, so each elementwise
/// step (finite mask, float64 copy, histogram slots) is one tensor operation for the
/// whole group; only the reductions run per layer, on views. With dozens of layers (ResNet-56 has 56,
/// ResNet-152 155) that is about seven operations per layer instead of some thirty: the per-operation
/// dispatch (a kernel launch on a GPU) was a third or more of a snapshot's time on the CPU. Groups hold at
/// most <see cref="GroupElements"/> elements so that the temporaries stay bounded for large nets.
/// </remarks>
public sealed class GradientStatsCollector : IDisposable
{
    private const int MomentColumns = 8;

    /// <summary>4M elements: the temporaries of a group (float64 and int64 copies) stay within a few hundred MB.</summary>
    internal const long GroupElements = 1L << 22;

    private readonly IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Weight)> _layers;
    private readonly HistogramSpec _histogram;
    private readonly Range[] _groups;
    private Tensor? _pendingMoments;
    private Tensor? _pendingHistograms;
    private Tensor[]? _weightsBeforeStep; // one flat copy per group

    public GradientStatsCollector(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Weight)> weightLayers, HistogramSpec histogram)
    {
        if (weightLayers.Count == 0) throw new ArgumentException("The model has no weight layers to observe.", nameof(weightLayers));
        _layers = weightLayers;
        _histogram = histogram;
        _groups = Group(weightLayers.Select(l => l.Weight.numel()).ToArray());
    }

    public IReadOnlyList<string> LayerNames => _layers.Select(l => l.Name).ToArray();

    /// <summary>Call after backward and before the optimizer step.</summary>
    public void CaptureGradients()
    {
        DisposePending();
        using var noGrad = no_grad();
        var moments = new Tensor[_groups.Length];
        var histograms = new Tensor[_groups.Length];
        _weightsBeforeStep = new Tensor[_groups.Length];
        using (var scope = NewDisposeScope())
        {
            for (var i = 0; i < _groups.Length; i++)
            {
                var weights = _layers.Take(_groups[i]).Select(l => l.Weight).ToArray();
                var gradients = FlatCopy(weights.Select(w => w.grad ?? zeros_like(w)));
                _weightsBeforeStep[i] = FlatCopy(weights.Select(w => w.detach()));
                (moments[i], histograms[i]) = Reduce(gradients, _weightsBeforeStep[i], Sizes(weights));
            }
            _pendingMoments = cat(moments).MoveToOuterDisposeScope();
            _pendingHistograms = cat(histograms).MoveToOuterDisposeScope();
            foreach (var w in _weightsBeforeStep) w.MoveToOuterDisposeScope();
        }
    }

    /// <summary>Call after the optimizer step that used the captured gradients.</summary>
    public GradientSnapshot CompleteSnapshot(long step)
    {
        if (_pendingMoments is null || _pendingHistograms is null || _weightsBeforeStep is null)
            throw new InvalidOperationException("CompleteSnapshot needs a CaptureGradients before it.");
        using var noGrad = no_grad();
        double[] flat;
        int columns;
        using (var scope = NewDisposeScope())
        {
            var updateNorms = new Tensor[_groups.Length];
            for (var i = 0; i < _groups.Length; i++)
            {
                var weights = _layers.Take(_groups[i]).Select(l => l.Weight).ToArray();
                var update = FlatCopy(weights.Select(w => w.detach())).sub_(_weightsBeforeStep[i]).to(ScalarType.Float64);
                updateNorms[i] = stack(update.split(Sizes(weights)).Select(u => u.norm()).ToArray());
            }
            var weightNorms = _pendingMoments.select(1, MomentColumns - 1);
            var table = cat(new[]
            {
                _pendingMoments,
                (cat(updateNorms) / weightNorms).unsqueeze(1),
                _pendingHistograms.to(ScalarType.Float64),
            }, 1);
            columns = (int)table.shape[1];
            flat = table.cpu().data<double>().ToArray();
        }
        DisposePending();

        var layers = new LayerGradientStats[_layers.Count];
        for (var i = 0; i < layers.Length; i++)
        {
            var row = new ReadOnlySpan<double>(flat, i * columns, columns);
            var count = (long)row[0];
            var mean = count > 0 ? row[1] / count : double.NaN;
            var histogram = new long[_histogram.Length];
            for (var b = 0; b < histogram.Length; b++) histogram[b] = (long)row[MomentColumns + 1 + b];
            layers[i] = new LayerGradientStats(
                Index: i,
                Name: _layers[i].Name,
                Count: count,
                L2Norm: Math.Sqrt(row[3]),
                Mean: mean,
                Variance: count > 0 ? row[2] / count : double.NaN,
                MeanAbs: count > 0 ? row[4] / count : double.NaN,
                MaxAbs: row[5],
                NonFinite: (long)row[6],
                WeightNorm: row[7],
                UpdateRatio: row[MomentColumns],
                Histogram: histogram);
        }
        return new GradientSnapshot(step, layers);
    }

    /// <summary>
    /// Moments [layers, 8] (finite count, sum, sum of squared deviations from the mean, sum of squares, sum of
    /// magnitudes, largest magnitude, non-finite count, weight norm) and histograms [layers, slots] of one group.
    /// </summary>
    private (Tensor Moments, Tensor Histogram) Reduce(Tensor gradients, Tensor weights, long[] sizes)
    {
        var finite = isfinite(gradients);
        var zeroed = gradients.nan_to_num(0, 0, 0).to(ScalarType.Float64);

        // Slots follow HistogramSpec: 0 below 10^min (zeros too), 1..bins in log10 steps, bins+1 at or above 10^max.
        // Non-finite elements go to an extra slot that each layer's histogram cuts off.
        var slot = zeroed.abs().log10_().sub_(_histogram.MinLog10).div_(_histogram.BinWidthLog10).floor_().add_(1)
            .clamp_(0, _histogram.Bins + 1).to(ScalarType.Int64).masked_fill_(finite.logical_not(), _histogram.Length);

        // Views of the group's flat vectors, one per layer; the reductions below read them without copying.
        var (finiteOf, zeroedOf, slotOf, weightsOf) =
            (finite.split(sizes), zeroed.split(sizes), slot.split(sizes), weights.to(ScalarType.Float64).split(sizes));
        Tensor PerLayer(Func<int, Tensor> reduce) => stack(Enumerable.Range(0, sizes.Length).Select(reduce).ToArray());
        var count = PerLayer(i => finiteOf[i].sum()).to(ScalarType.Float64);
        var sum = PerLayer(i => zeroedOf[i].sum());
        var sumSquares = PerLayer(i => zeroedOf[i].dot(zeroedOf[i]));
        // Sum of squared deviations as sumSquares - sum²/count, which saves a second pass over the gradients. The
        // square of a float32 value is exact in float64 and the sums round at ~1e-16 per addition, so the result
        // stays accurate unless |mean| exceeds the standard deviation by some six orders of magnitude.
        var m2 = (sumSquares - sum.square() / count.clamp_min(1)).clamp_min_(0);
        var moments = stack(new[]
        {
            count, sum, m2, sumSquares,
            PerLayer(i => zeroedOf[i].norm(1f)),
            PerLayer(i => zeroedOf[i].norm(float.PositiveInfinity)),
            tensor(sizes, ScalarType.Float64, count.device) - count,
            // Norms accumulate in float64 too: a float32 norm of a multi-million-element layer is off by ~1e-4.
            PerLayer(i => weightsOf[i].norm()),
        }, 1);
        var histogram = PerLayer(i => slotOf[i].bincount(null, _histogram.Length + 1).narrow(0, 0, _histogram.Length));
        return (moments, histogram);
    }

    /// <summary>The tensors flattened and concatenated into a new tensor (cat hands back a lone input itself).</summary>
    private static Tensor FlatCopy(IEnumerable<Tensor> tensors)
    {
        var parts = tensors.Select(t => t.flatten()).ToArray();
        return parts.Length == 1 ? parts[0].clone() : cat(parts);
    }

    private static long[] Sizes(TorchSharp.Modules.Parameter[] weights) => weights.Select(w => w.numel()).ToArray();

    /// <summary>Consecutive layers, each group at most <see cref="GroupElements"/> elements unless one layer alone is larger.</summary>
    private static Range[] Group(long[] sizes)
    {
        var groups = new List<Range>();
        var (start, elements) = (0, 0L);
        for (var i = 0; i < sizes.Length; i++)
        {
            if (i > start && elements + sizes[i] > GroupElements)
            {
                groups.Add(start..i);
                (start, elements) = (i, 0);
            }
            elements += sizes[i];
        }
        groups.Add(start..sizes.Length);
        return groups.ToArray();
    }

    private void DisposePending()
    {
        _pendingMoments?.Dispose();
        _pendingHistograms?.Dispose();
        if (_weightsBeforeStep is not null) foreach (var w in _weightsBeforeStep) w.Dispose();
        _pendingMoments = _pendingHistograms = null;
        _weightsBeforeStep = null;
    }

    public void Dispose() => DisposePending();
}
