namespace ClusterTrain.Shared.Training;

public enum TrialOutcome
{
    Completed,
    /// <summary>The loss became NaN or infinite; <see cref="TrialResult.DivergedAtStep"/> says when.</summary>
    Diverged,
    /// <summary>Stopped on request after writing a checkpoint; running it again resumes.</summary>
    Interrupted,
}

/// <summary>Progress of one optimizer step as the trainer reports it.</summary>
public sealed record StepProgress(
    long Step,
    long TotalSteps,
    int Epoch,
    double LearningRate,
    double Loss,
    double BatchError,
    double ImagesPerSecond);

/// <summary>Loss and error on a held-out split ("test" or "validation").</summary>
public sealed record EvaluationResult(long Step, int Epoch, string Split, double Loss, double Error, int Samples);

/// <param name="FinalTrainLoss">Mean training loss over the last epoch's steps (or all steps when shorter).</param>
/// <param name="ImagesPerSecond">Training images per second of wall time spent in training steps.</param>
/// <param name="DivergedAtStep">The step whose loss was NaN or infinite, counted like <see cref="StepProgress.Step"/>
/// (1 = the first step); <see cref="Steps"/> is then the number of steps completed before it.</param>
public sealed record TrialResult(
    TrialOutcome Outcome,
    long Steps,
    long TotalSteps,
    double FinalTrainLoss,
    double FinalTrainError,
    double? TestLoss,
    double? TestError,
    double? ValidationError,
    double WallSeconds,
    double ImagesPerSecond,
    long? DivergedAtStep,
    long ResumedFromStep);
