using ClusterTrain.Shared.GradientStats;

namespace ClusterTrain.Shared.Tests.GradientStats;

/// <summary>Snapshots whose layers differ only in their gradient norms, for tests of norm summaries.</summary>
internal static class Snapshots
{
    public static GradientSnapshot WithNorms(long step, params double[] norms) =>
        new(step, norms.Select((norm, i) => Layer(i, norm)).ToList());

    public static LayerGradientStats Layer(int index, double norm) => new(
        index, $"features.{index}.weight", Count: 9, L2Norm: norm, Mean: 0, Variance: norm * norm / 9,
        MeanAbs: norm / 3, MaxAbs: norm / 3, NonFinite: 0, WeightNorm: 1, UpdateRatio: double.NaN, Histogram: [0, 9, 0]);
}
