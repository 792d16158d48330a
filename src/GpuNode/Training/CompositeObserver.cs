using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Training;

/// <summary>Hands every event to each observer in turn.</summary>
public sealed class CompositeObserver(params ITrainingObserver[] observers) : ITrainingObserver
{
    public void OnStarted(TrainingStarted started) { foreach (var o in observers) o.OnStarted(started); }
    public void OnStep(StepProgress progress) { foreach (var o in observers) o.OnStep(progress); }
    public void OnGradientSnapshot(GradientSnapshot snapshot) { foreach (var o in observers) o.OnGradientSnapshot(snapshot); }
    public void OnEvaluation(EvaluationResult evaluation) { foreach (var o in observers) o.OnEvaluation(evaluation); }
    public void OnCheckpoint(long step, string path) { foreach (var o in observers) o.OnCheckpoint(step, path); }
}
