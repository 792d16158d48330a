using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Training;

/// <summary>What the trainer knows before the first step.</summary>
public sealed record TrainingStarted(
    string ModelName,
    long Parameters,
    string Device,
    long TotalSteps,
    int StepsPerEpoch,
    long ResumedFromStep,
    IReadOnlyList<string> WeightLayers);

/// <summary>Receives the trainer's events on the training thread; keep handlers cheap.</summary>
public interface ITrainingObserver
{
    void OnStarted(TrainingStarted started) { }
    void OnStep(StepProgress progress) { }
    void OnGradientSnapshot(GradientSnapshot snapshot) { }
    void OnEvaluation(EvaluationResult evaluation) { }
    void OnCheckpoint(long step, string path) { }
}
