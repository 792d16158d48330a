namespace ClusterTrain.Shared.GradientStats;

/// <summary>A gradient snapshot tagged with the trial it came from, as stored in the statistics files.</summary>
public sealed record TrialSnapshot(string Trial, GradientSnapshot Snapshot);
