using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.Models;

namespace ClusterTrain.GpuNode.Benchmarks;

/// <summary>Throughput of one model in the real trainer and in a bare TorchSharp loop, measured side by side.</summary>
/// <param name="Trainer">Durations of the trainer's timed steps.</param>
/// <param name="Bare">Durations of the bare loop's timed steps.</param>
public sealed record TrainingBenchmarkResult(
    string Model,
    BenchmarkSteps Settings,
    StepTimes Trainer,
    StepTimes Bare,
    double TrainingFlopsPerImage)
{
    /// <summary>From the median step: robust to a step that another process slowed down.</summary>
    public double TrainerImagesPerSecond => Settings.BatchSize / Trainer.Median;
    public double BareImagesPerSecond => Settings.BatchSize / Bare.Median;
    public double TrainerOverBare => TrainerImagesPerSecond / BareImagesPerSecond;
    public double TrainerFlopsPerSecond => TrainerImagesPerSecond * TrainingFlopsPerImage;
    public double BareFlopsPerSecond => BareImagesPerSecond * TrainingFlopsPerImage;
}

/// <summary>
/// Measures the trainer against a bare loop of the same model: the two alternate step by step
/// (<see cref="StepInterleaver"/>), so machine noise hits both alike, and each runs warmup + timed steps.
/// The trainer takes gradient statistics only at step 0 (in the warmup) and evaluates only after its last
/// step, outside its step clock: what is timed is the training step itself, data pipeline included.
/// </summary>
public static class TrainingBenchmark
{
    /// <param name="threads">torch CPU threads, 0 for torch's default.</param>
    /// <param name="device">"auto", "cpu" or "cuda:N".</param>
    public static TrainingBenchmarkResult Run(ModelSpec spec, BenchmarkSteps settings, int threads, string device)
    {
        var totalSteps = settings.Warmup + settings.Steps;
        var config = BenchmarkModels.TrainerConfig(spec, settings.BatchSize, totalSteps, statsEvery: int.MaxValue, threads, device);
        var trainer = new TrainerLane(config);
        var bare = new List<double>();

        StepInterleaver.Run([
            trainer.Run,
            endOfStep =>
            {
                // The trainer lane configures torch the same way in its own first turn.
                TorchRuntime.Configure(config.Threads, config.Seed);
                using var loop = new BareTrainingLoop(spec, settings.BatchSize, config.Optimizer, TorchRuntime.ResolveDevice(device));
                for (var i = 0; i < totalSteps; i++)
                {
                    bare.Add(loop.Step());
                    endOfStep();
                }
            },
        ]);

        return new TrainingBenchmarkResult(
            spec.DisplayName,
            settings,
            new StepTimes(trainer.Steps.Where(s => s.Step >= settings.Warmup).Select(s => s.Seconds)),
            new StepTimes(bare.Skip(settings.Warmup)),
            FlopCounter.TrainingFlopsPerImage(spec));
    }
}
