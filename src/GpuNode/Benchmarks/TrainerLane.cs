using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Benchmarks;

/// <summary>One step of the real trainer as it reported it: the step's index (0-based) and duration.</summary>
public readonly record struct TimedStep(long Step, double Seconds);

/// <summary>
/// The real <see cref="TrialTrainer"/> as a <see cref="StepInterleaver"/> lane: its own step clock,
/// read from <see cref="StepProgress.ImagesPerSecond"/>, times each step, so the benchmark measures
/// exactly what a training run reports. The checkpoint it writes at the end goes to a temporary folder
/// that is deleted afterwards.
/// </summary>
internal sealed class TrainerLane(TrialConfig config)
{
    public TrialConfig Config => config;
    public List<TimedStep> Steps { get; } = [];

    public void Run(Action endOfStep)
    {
        var folder = Path.Combine(Path.GetTempPath(), "clustertrain-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var result = new TrialTrainer(config, folder).Run(new Recorder(this, endOfStep));
            if (result.Outcome != TrialOutcome.Completed)
                throw new InvalidOperationException(
                    $"the trainer stopped at step {result.Steps} of {result.TotalSteps} ({result.Outcome}); its timings would be incomplete.");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class Recorder(TrainerLane lane, Action endOfStep) : ITrainingObserver
    {
        public void OnStep(StepProgress progress)
        {
            lane.Steps.Add(new TimedStep(progress.Step - 1, lane.Config.BatchSize / progress.ImagesPerSecond));
            endOfStep();
        }
    }
}
