namespace ClusterTrain.Shared.GradientStats;

/// <summary>One row of the long-format statistics CSV: one layer of one trial at one step.</summary>
public sealed record GradientStatsRow(string Trial, long Step, LayerGradientStats Layer);
