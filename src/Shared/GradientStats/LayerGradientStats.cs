using System.Text.Json.Serialization;

namespace ClusterTrain.Shared.GradientStats;

/// <summary>Statistics of one weight tensor's gradient at one step (or several merged: see <see cref="GradientStatsMerge"/>).</summary>
/// <param name="Index">Position in depth order (0 = nearest the input).</param>
/// <param name="Name">PyTorch-style parameter name, e.g. "layer1.0.conv1.weight".</param>
/// <param name="Count">Finite gradient elements the moments cover.</param>
/// <param name="L2Norm">Euclidean norm of the finite gradient elements.</param>
/// <param name="Mean">Mean of the finite gradient elements.</param>
/// <param name="Variance">Population variance of the finite gradient elements.</param>
/// <param name="MeanAbs">Mean of |g| over the finite gradient elements.</param>
/// <param name="MaxAbs">Largest finite |g|.</param>
/// <param name="NonFinite">Elements that were NaN or infinite, excluded from everything else.</param>
/// <param name="WeightNorm">||w|| of the weight tensor the gradient belongs to.</param>
/// <param name="UpdateRatio">||delta w|| / ||w|| of the optimizer step that used this gradient (NaN when not known).</param>
/// <param name="Histogram">Counts over log10|g|: see <see cref="HistogramSpec"/> for the bin layout.</param>
/// <remarks>Equality is by value, the histogram compared element by element and NaN equal to NaN.</remarks>
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
    [JsonIgnore]
    public double Std => Math.Sqrt(Variance);

    public bool Equals(LayerGradientStats? other) =>
        other is not null
        && Index == other.Index
        && Name == other.Name
        && Count == other.Count
        && L2Norm.Equals(other.L2Norm)
        && Mean.Equals(other.Mean)
        && Variance.Equals(other.Variance)
        && MeanAbs.Equals(other.MeanAbs)
        && MaxAbs.Equals(other.MaxAbs)
        && NonFinite == other.NonFinite
        && WeightNorm.Equals(other.WeightNorm)
        && UpdateRatio.Equals(other.UpdateRatio)
        && Histogram.SequenceEqual(other.Histogram);

    public override int GetHashCode() => HashCode.Combine(Index, Name, Count, L2Norm, Mean, Variance, NonFinite);
}

/// <summary>All weight layers of one model at one step, in depth order, with the training loss and error around it. Equality is by value.</summary>
/// <param name="Step">Index of the step whose gradients the layers hold (0 = the first step, at initialisation).</param>
/// <param name="TrainLoss">
/// Mean training loss over the steps since the previous snapshot, this one's included (one batch alone is too noisy
/// for a training curve); NaN when not known (statistics recorded before snapshots carried it).
/// </param>
/// <param name="TrainError">Mean training error (fraction of the batch misclassified) over the same steps; NaN when not known.</param>
public sealed record GradientSnapshot(
    long Step,
    IReadOnlyList<LayerGradientStats> Layers,
    double TrainLoss = double.NaN,
    double TrainError = double.NaN)
{
    public bool Equals(GradientSnapshot? other) =>
        other is not null
        && Step == other.Step
        && TrainLoss.Equals(other.TrainLoss)
        && TrainError.Equals(other.TrainError)
        && Layers.SequenceEqual(other.Layers);

    public override int GetHashCode() => HashCode.Combine(Step, Layers.Count);
}
