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
public sealed class GradientStatsCollector : IDisposable
{
    private const int MomentColumns = 8;
    private readonly IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Weight)> _layers;
    private readonly HistogramSpec _histogram;
    private Tensor? _pendingMoments;
    private Tensor? _pendingHistograms;
    private Tensor[]? _weightsBeforeStep;

    public GradientStatsCollector(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Weight)> weightLayers, HistogramSpec histogram)
    {
        if (weightLayers.Count == 0) throw new ArgumentException("The model has no weight layers to observe.", nameof(weightLayers));
        _layers = weightLayers;
        _histogram = histogram;
    }

    public IReadOnlyList<string> LayerNames => _layers.Select(l => l.Name).ToArray();

    /// <summary>Call after backward and before the optimizer step.</summary>
    public void CaptureGradients()
    {
        DisposePending();
        using var noGrad = no_grad();
        var moments = new Tensor[_layers.Count];
        var histograms = new Tensor[_layers.Count];
        _weightsBeforeStep = new Tensor[_layers.Count];
        using (var scope = NewDisposeScope())
        {
            for (var i = 0; i < _layers.Count; i++)
            {
                var weight = _layers[i].Weight;
                var grad = weight.grad ?? zeros_like(weight);
                (moments[i], histograms[i]) = Reduce(grad, weight);
                _weightsBeforeStep[i] = weight.detach().clone();
            }
            _pendingMoments = stack(moments).MoveToOuterDisposeScope();
            _pendingHistograms = stack(histograms).MoveToOuterDisposeScope();
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
            var ratios = new Tensor[_layers.Count];
            for (var i = 0; i < _layers.Count; i++)
            {
                var before = _weightsBeforeStep[i];
                var update = (_layers[i].Weight.detach() - before).norm().to(ScalarType.Float64);
                ratios[i] = update / before.norm().to(ScalarType.Float64);
            }
            var table = cat(new[]
            {
                _pendingMoments,
                stack(ratios).unsqueeze(1),
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

    private (Tensor Moments, Tensor Histogram) Reduce(Tensor grad, Tensor weight)
    {
        var g = grad.flatten();
        var finite = isfinite(g);
        var count = finite.sum().to(ScalarType.Float64);
        var zeroed = g.nan_to_num(0, 0, 0).to(ScalarType.Float64);
        var sum = zeroed.sum();
        var mean = sum / count.clamp_min(1);
        var m2 = where(finite, zeroed - mean, zeros_like(zeroed)).square().sum();
        var sumSquares = zeroed.square().sum();
        var magnitude = zeroed.abs();
        var moments = stack(new[]
        {
            count, sum, m2, sumSquares, magnitude.sum(), magnitude.max(),
            (g.numel() - count), weight.detach().norm().to(ScalarType.Float64),
        });

        // Slots follow HistogramSpec: 0 below 10^min (zeros too), 1..bins in log10 steps, bins+1 at or above 10^max.
        // Non-finite elements go to an extra slot that is cut off before stacking.
        var slot = ((magnitude.log10() - _histogram.MinLog10) / _histogram.BinWidthLog10).floor().add(1)
            .clamp(0, _histogram.Bins + 1).to(ScalarType.Int64);
        slot = where(finite, slot, full_like(slot, _histogram.Length));
        var histogram = bincount(slot, null, _histogram.Length + 1).narrow(0, 0, _histogram.Length);
        return (moments, histogram);
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
