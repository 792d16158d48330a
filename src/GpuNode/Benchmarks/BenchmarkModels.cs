using System.Globalization;
using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Benchmarks;

/// <summary>Batch size and step counts of one benchmarked model.</summary>
/// <param name="Warmup">Steps run first and left out of the timing (allocator, caches, lazy init).</param>
/// <param name="Steps">Timed steps.</param>
public sealed record BenchmarkSteps(int BatchSize, int Warmup, int Steps);

/// <summary>
/// The model names the benchmarks accept, as the papers' tables write them: resnet-N and plain-N on
/// 32x32 RGB images with 10 classes.
/// </summary>
public static class BenchmarkModels
{
    public static IReadOnlyList<string> TrainingDefaults { get; } = ["plain-20", "resnet-20", "plain-56", "resnet-56", "resnet-152"];

    public const string Syntax =
        "plain-N or resnet-N, with N = 6n+2 for a CIFAR ResNet (20, 32, 44, 56, 110, ...) or N = 18, 34, 50, 101, 152 " +
        "for an ImageNet-style ResNet with the small-input stem";

    /// <summary>
    /// N of an ImageNet ResNet (18, 34, 50, 101, 152) names that net with the small-input stem, even where N is
    /// also 6n+2 (50): "ResNet-50" means the bottleneck net everywhere. Any other 6n+2 is a CIFAR ResNet.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not of that form; the message names it.</exception>
    public static ModelSpec Parse(string name)
    {
        var text = name.Trim().ToLowerInvariant();
        var dash = text.LastIndexOf('-');
        var form = dash > 0 ? text[..dash] : "";
        if ((form is "resnet" or "plain")
            && int.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var depth))
        {
            var shortcuts = form == "resnet";
            if (ImageNetResNet.Depths.Contains(depth))
                return new ModelSpec(ModelFamily.ResNet, depth, Shortcuts: shortcuts, Stem: StemKind.Small);
            if (depth >= 8 && (depth - 2) % 6 == 0)
                return new ModelSpec(ModelFamily.CifarResNet, depth, Shortcuts: shortcuts);
        }
        throw new ArgumentException($"unknown model '{name}': expected {Syntax}.");
    }

    /// <summary>
    /// CIFAR nets: batch 128 (the paper's), 5 warmup and 30 timed steps. The ImageNet-style nets do some
    /// thirty times the work per image (ResNet-152 on 32x32 inputs: about 3.7 GMAC), so they get batch 32,
    /// 3 warmup and 5 timed steps, which keeps them to minutes on a two-core machine.
    /// </summary>
    public static BenchmarkSteps DefaultsFor(ModelSpec spec) =>
        spec.Family == ModelFamily.CifarResNet ? new BenchmarkSteps(128, 5, 30) : new BenchmarkSteps(32, 3, 5);

    /// <summary>
    /// A trial of <paramref name="totalSteps"/> steps on synthetic data (augmented, as in a real run) that
    /// evaluates only once, after the last step, on a single batch. The stats interval is the caller's.
    /// </summary>
    public static TrialConfig TrainerConfig(ModelSpec spec, int batchSize, int totalSteps, int statsEvery, int threads, string device) =>
        TrialParameters.Defaults with
        {
            Model = spec,
            // Four batches' worth of images: the synthetic set is made before the first step, and its size
            // changes nothing per step (the order is re-drawn each epoch either way).
            Data = new DatasetSpec(SyntheticTrainSize: 4 * batchSize, SyntheticTestSize: batchSize),
            Stats = new StatsSpec(Every: statsEvery),
            Epochs = totalSteps,
            MaxSteps = totalSteps,
            BatchSize = batchSize,
            EvalEvery = int.MaxValue,
            CheckpointEvery = 0,
            Threads = threads,
            Device = device,
        };
}
