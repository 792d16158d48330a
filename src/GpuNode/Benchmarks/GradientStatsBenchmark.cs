using System.Diagnostics;
using ClusterTrain.GpuNode.Models;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Benchmarks;

/// <summary>The trainer's timed steps with gradient statistics taken every <see cref="Every"/> steps.</summary>
/// <param name="Every">Stats interval; <see cref="Never"/> for none in the timed steps.</param>
/// <param name="Snapshots">How many of the timed steps took a snapshot.</param>
public sealed record StatsInterval(int Every, StepTimes Steps, int Snapshots)
{
    public const int Never = int.MaxValue;
}

/// <param name="Intervals">Never, every 10th step, every step, in that order.</param>
/// <param name="Snapshot">CaptureGradients + CompleteSnapshot alone, outside any training step.</param>
public sealed record GradientStatsBenchmarkResult(
    string Model,
    BenchmarkSteps Settings,
    IReadOnlyList<StatsInterval> Intervals,
    StepTimes Snapshot)
{
    public StatsInterval Baseline => Intervals[0];

    /// <summary>
    /// Mean step time over the baseline's, minus one. Means, not medians: a median would pass over
    /// the one-in-ten snapshot steps altogether.
    /// </summary>
    public double Overhead(StatsInterval interval) => interval.Steps.Mean / Baseline.Steps.Mean - 1;

    /// <summary>
    /// The snapshot's own cost as a share of a baseline step, spread over <paramref name="every"/> steps:
    /// an estimate of the overhead that machine noise between whole steps cannot blur.
    /// </summary>
    public double SnapshotShare(int every) => Snapshot.Median / every / Baseline.Steps.Median;
}

/// <summary>
/// The cost of gradient statistics in the real trainer: three trainers of the same trial (stats never,
/// every 10th step, every step) alternate step by step (<see cref="StepInterleaver"/>), so noise hits
/// all three alike; a fourth lane times the snapshot alone for context.
/// </summary>
public static class GradientStatsBenchmark
{
    public static IReadOnlyList<int> Intervals { get; } = [StatsInterval.Never, 10, 1];

    public static GradientStatsBenchmarkResult Run(ModelSpec spec, BenchmarkSteps settings, int threads, string device)
    {
        var totalSteps = settings.Warmup + settings.Steps;
        var trainers = Intervals
            .Select(every => new TrainerLane(BenchmarkModels.TrainerConfig(spec, settings.BatchSize, totalSteps, every, threads, device)))
            .ToArray();
        var snapshotSeconds = new List<double>();
        var snapshotLane = (Action<Action>)(endOfStep =>
        {
            var config = trainers[0].Config;
            TorchRuntime.Configure(config.Threads, config.Seed);
            var target = TorchRuntime.ResolveDevice(device);
            using var model = ModelFactory.Create(spec);
            model.to(target);
            using (NewDisposeScope())
            {
                var images = randn([settings.BatchSize, spec.InputChannels, spec.InputSize, spec.InputSize], device: target);
                var labels = randint(spec.Classes, [settings.BatchSize], dtype: ScalarType.Int64, device: target);
                nn.functional.cross_entropy(model.call(images), labels).backward();
            }
            var stats = config.Stats;
            using var collector = new GradientStatsCollector(ModelFactory.WeightLayers(model),
                new HistogramSpec(stats.HistogramBins, stats.HistogramMinLog10, stats.HistogramMaxLog10));
            var clock = new Stopwatch();
            for (var i = 0; i < totalSteps; i++)
            {
                clock.Restart();
                collector.CaptureGradients();
                collector.CompleteSnapshot(i); // reads the table back to the host, so the clock includes the device's work
                snapshotSeconds.Add(clock.Elapsed.TotalSeconds);
                endOfStep();
            }
        });

        StepInterleaver.Run([.. trainers.Select(t => (Action<Action>)t.Run), snapshotLane]);

        var intervals = trainers.Select((trainer, i) =>
        {
            var timed = trainer.Steps.Where(s => s.Step >= settings.Warmup).ToArray();
            return new StatsInterval(Intervals[i], new StepTimes(timed.Select(s => s.Seconds)),
                timed.Count(s => s.Step % Intervals[i] == 0));
        }).ToArray();
        return new GradientStatsBenchmarkResult(spec.DisplayName, settings, intervals, new StepTimes(snapshotSeconds.Skip(settings.Warmup)));
    }
}
