using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Cluster.Tests.Infrastructure;

/// <summary>Gradient statistics and results built by hand, shaped like the trainer's.</summary>
internal static class Stats
{
    /// <summary>
    /// A snapshot of <paramref name="layers"/> weight layers with histograms of <paramref name="histogramSlots"/>
    /// counts: 156 x 34 is ResNet-152 (155 convolutions and the classifier) with 32 bins and the two outer slots.
    /// Values vary by layer and step so that no two layers encode alike.
    /// </summary>
    public static GradientSnapshot Snapshot(long step, int layers = 156, int histogramSlots = 34)
    {
        var random = new Random(HashCode.Combine(step, layers, histogramSlots));
        return new GradientSnapshot(step, Enumerable.Range(0, layers).Select(i => new LayerGradientStats(
            Index: i,
            Name: $"layer{1 + i / 40}.{i % 40}.conv{1 + i % 3}.weight",
            Count: 1_000L + random.Next(2_000_000),
            L2Norm: random.NextDouble(),
            Mean: random.NextDouble() * 1e-4 - 5e-5,
            Variance: random.NextDouble() * 1e-6,
            MeanAbs: random.NextDouble() * 1e-3,
            MaxAbs: random.NextDouble() * 1e-1,
            NonFinite: 0,
            WeightNorm: 1 + random.NextDouble() * 10,
            UpdateRatio: random.NextDouble() * 1e-3,
            Histogram: Enumerable.Range(0, histogramSlots).Select(_ => (long)random.Next(100_000)).ToArray())).ToList(),
            TrainLoss: 0.1 + 2 * random.NextDouble(),
            TrainError: random.NextDouble());
    }

    public static TrialResult Completed(double testError = 0.25, long steps = 100) =>
        new(TrialOutcome.Completed, steps, steps, 0.5, 0.2, 0.9, testError, null, 12.5, 800, null, 0);
}
