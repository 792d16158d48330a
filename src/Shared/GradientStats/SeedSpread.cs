namespace ClusterTrain.Shared.GradientStats;

/// <summary>How one layer's gradient L2 norm at one step varies across the seeds of a configuration.</summary>
/// <param name="Seeds">Seeds whose norm here was finite; Mean, Std, Min and Max cover these.</param>
/// <param name="NonFiniteSeeds">Seeds whose norm here was NaN or infinite (diverged runs).</param>
/// <param name="Std">Sample standard deviation (n - 1) over the seeds; NaN with fewer than two.</param>
public sealed record SeedSpread(
    long Step,
    int Index,
    string Name,
    long Seeds,
    long NonFiniteSeeds,
    double Mean,
    double Std,
    double Min,
    double Max);
