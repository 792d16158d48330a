namespace ClusterTrain.Shared.GradientStats;

/// <summary>
/// One-number summaries of how the gradient norm changes with depth in a snapshot. Vanishing gradients
/// (norms falling toward the input, as in deep plain nets) show as a ratio below 1 and a positive slope.
/// </summary>
public static class GradientProfile
{
    /// <summary>
    /// Gradient L2 norm of the first weight layer (lowest index) over that of the last (highest index).
    /// NaN for a snapshot without layers; infinite when the last layer's norm is zero.
    /// </summary>
    public static double FirstToLastNormRatio(GradientSnapshot snapshot)
    {
        if (snapshot.Layers.Count == 0) return double.NaN;
        var first = snapshot.Layers.MinBy(l => l.Index)!;
        var last = snapshot.Layers.MaxBy(l => l.Index)!;
        return first.L2Norm / last.L2Norm;
    }

    /// <summary>
    /// Least-squares slope of log10(gradient L2 norm) against layer index: decades gained per layer.
    /// Layers with a zero or non-finite norm have no logarithm and are left out; NaN when fewer than two remain.
    /// </summary>
    public static double LogNormSlope(GradientSnapshot snapshot)
    {
        var points = snapshot.Layers
            .Where(l => double.IsFinite(l.L2Norm) && l.L2Norm > 0)
            .Select(l => (X: (double)l.Index, Y: Math.Log10(l.L2Norm)))
            .ToList();
        if (points.Count < 2) return double.NaN;
        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        var sxy = points.Sum(p => (p.X - meanX) * (p.Y - meanY));
        var sxx = points.Sum(p => (p.X - meanX) * (p.X - meanX));
        return sxx == 0 ? double.NaN : sxy / sxx;
    }
}
