namespace ClusterTrain.Shared.GradientStats;

/// <summary>
/// Pools the statistics of one layer taken at several steps, seeds or trials, as if every gradient
/// element behind them had been measured in one go:
/// <list type="bullet">
/// <item>Count and NonFinite add.</item>
/// <item>Mean and Variance (population) are those of the pooled finite elements, by Chan et al.'s formula.</item>
/// <item>MeanAbs is the Count-weighted mean; MaxAbs the larger (a NaN side is ignored).</item>
/// <item>L2Norm is sqrt(a² + b²): the norm of all pooled elements, not a mean of norms.</item>
/// <item>WeightNorm and UpdateRatio describe a step, not elements, so they are averaged per snapshot:
/// weighted by Count + NonFinite, which is the same for every snapshot of one layer, and NaN sides are
/// left out (UpdateRatio is NaN when unknown).</item>
/// <item>Histograms add slot by slot and must have the same length.</item>
/// </list>
/// Merging with a side whose Count + NonFinite is zero returns the other side's values.
/// </summary>
public static class GradientStatsMerge
{
    public static LayerGradientStats Merge(LayerGradientStats a, LayerGradientStats b)
    {
        if (a.Index != b.Index || a.Name != b.Name)
            throw new ArgumentException(
                $"Cannot merge statistics of different layers: {a.Index} '{a.Name}' and {b.Index} '{b.Name}'.");
        if (a.Histogram.Count != b.Histogram.Count)
            throw new ArgumentException(
                $"Cannot merge histograms of layer '{a.Name}' with {a.Histogram.Count} and {b.Histogram.Count} slots: "
                + "their HistogramSpecs differ.");

        var moments = RunningMoments.FromSummary(a.Count, a.Mean, a.Variance, a.NonFinite);
        moments.Merge(RunningMoments.FromSummary(b.Count, b.Mean, b.Variance, b.NonFinite));
        long elementsA = a.Count + a.NonFinite, elementsB = b.Count + b.NonFinite;
        // A side without finite elements contributes nothing, so the other's moments stay bit for bit.
        var (mean, variance) = b.Count == 0 ? (a.Mean, a.Variance)
            : a.Count == 0 ? (b.Mean, b.Variance)
            : (moments.Mean, moments.PopulationVariance);

        return a with
        {
            Count = moments.Count,
            Mean = mean,
            Variance = variance,
            MeanAbs = Weighted(a.MeanAbs, a.Count, b.MeanAbs, b.Count),
            MaxAbs = double.IsNaN(a.MaxAbs) ? b.MaxAbs : double.IsNaN(b.MaxAbs) ? a.MaxAbs : Math.Max(a.MaxAbs, b.MaxAbs),
            L2Norm = Math.Sqrt(a.L2Norm * a.L2Norm + b.L2Norm * b.L2Norm),
            NonFinite = moments.NonFinite,
            WeightNorm = Weighted(a.WeightNorm, elementsA, b.WeightNorm, elementsB),
            UpdateRatio = Weighted(a.UpdateRatio, elementsA, b.UpdateRatio, elementsB),
            Histogram = a.Histogram.Zip(b.Histogram, (x, y) => x + y).ToArray(),
        };
    }

    /// <summary>Merges a non-empty sequence of statistics of one layer, left to right.</summary>
    public static LayerGradientStats MergeAll(IEnumerable<LayerGradientStats> stats)
    {
        LayerGradientStats? merged = null;
        foreach (var s in stats) merged = merged is null ? s : Merge(merged, s);
        return merged ?? throw new ArgumentException("There are no statistics to merge.", nameof(stats));
    }

    private static double Weighted(double x, long wx, double y, long wy)
    {
        if (double.IsNaN(x) || wx == 0) return double.IsNaN(y) || wy == 0 ? x : y;
        if (double.IsNaN(y) || wy == 0) return x;
        return (x * wx + y * wy) / ((double)wx + wy);
    }
}
