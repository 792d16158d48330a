using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Tests.Training;

/// <summary>Small trials that train in seconds on two cores.</summary>
internal static class TrainingFixtures
{
    public static TrialConfig TinyTrial(int depth = 8, bool shortcuts = true, bool batchNorm = true,
        int steps = 12, int seed = 7, InitScheme init = InitScheme.He, double lr = 0.05) => new(
        Model: new ModelSpec(ModelFamily.CifarResNet, depth, BatchNorm: batchNorm, Shortcuts: shortcuts, Init: init, BaseWidth: 8),
        Data: new DatasetSpec(SyntheticTrainSize: 256, SyntheticTestSize: 64),
        Optimizer: new OptimizerSpec(LearningRate: lr),
        Schedule: new ScheduleSpec(),
        Stats: new StatsSpec(Every: 4, HistogramBins: 8, HistogramMinLog10: -10, HistogramMaxLog10: 2),
        Epochs: 100,
        MaxSteps: steps,
        BatchSize: 16,
        Seed: seed,
        Threads: 2,
        Device: "cpu");

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "clustertrain-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>Remembers everything the trainer reports.</summary>
internal sealed class RecordingObserver : ITrainingObserver
{
    public TrainingStarted? Started { get; private set; }
    public List<StepProgress> Steps { get; } = [];
    public List<GradientSnapshot> Snapshots { get; } = [];
    public List<EvaluationResult> Evaluations { get; } = [];
    public List<long> Checkpoints { get; } = [];
    public Action<StepProgress>? AfterStep { get; init; }

    public void OnStarted(TrainingStarted started) => Started = started;
    public void OnStep(StepProgress progress)
    {
        Steps.Add(progress);
        AfterStep?.Invoke(progress);
    }
    public void OnGradientSnapshot(GradientSnapshot snapshot) => Snapshots.Add(snapshot);
    public void OnEvaluation(EvaluationResult evaluation) => Evaluations.Add(evaluation);
    public void OnCheckpoint(long step, string path) => Checkpoints.Add(step);
}
