namespace ClusterTrain.Shared.GradientStats;

/// <summary>Statistics of one weight tensor's gradient at one step.</summary>
/// <param name="Index">Position in depth order (0 = nearest the input).</param>
/// <param name="Name">PyTorch-style parameter name, e.g. "layer1.0.conv1.weight".</param>
/// <param name="Count">Finite gradient elements the moments cover.</param>
/// <param name="Mean">Mean of the finite gradient elements.</param>
/// <param name="Variance">Population variance of the finite gradient elements.</param>
/// <param name="NonFinite">Elements that were NaN or infinite, excluded from everything else.</param>
/// <param name="UpdateRatio">||delta w|| / ||w|| of the optimizer step that used this gradient (NaN when not known).</param>
/// <param name="Histogram">Counts over log10|g|: see <see cref="HistogramSpec"/> for the bin layout.</param>
public sealed record LayerGradientStats(
    int Index,
    string Name,
    long Count,
    double L2Norm,
    double Mean,
    double Variance,
    double MeanAbs,
    double MaxAbs,
    long NonFinite,
    double WeightNorm,
    double UpdateRatio,
    IReadOnlyList<long> Histogram)
{
    public double Std => Math.Sqrt(Variance);
}

/// <summary>All weight layers of one model at one step, in depth order.</summary>
public sealed record GradientSnapshot(long Step, IReadOnlyList<LayerGradientStats> Layers);
