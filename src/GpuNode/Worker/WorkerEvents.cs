using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Worker;

/// <summary>
/// One line of the <c>clustertrain trial-worker</c> protocol: what a trial's child process tells its parent.
/// A run ends with exactly one <see cref="WorkerResult"/> or one <see cref="WorkerError"/>, unless the process dies.
/// </summary>
public abstract record WorkerEvent;

/// <summary>The trainer is ready: model built, data loaded, checkpoint (if any) restored.</summary>
/// <param name="TrialId">Echoed from the command line, so that logs of many workers can be told apart.</param>
public sealed record WorkerStarted(TrainingStarted Training, string? TrialId = null, int? Attempt = null) : WorkerEvent;

/// <summary>Progress after a step; thinned by the worker (see <see cref="TrialWorkerOptions.StepInterval"/>).</summary>
public sealed record WorkerStep(StepProgress Progress) : WorkerEvent;

/// <summary>Every gradient snapshot the trainer takes, at full precision.</summary>
public sealed record WorkerSnapshot(GradientSnapshot Snapshot) : WorkerEvent;

public sealed record WorkerEvaluation(EvaluationResult Evaluation) : WorkerEvent;

/// <summary>A checkpoint holding the first <paramref name="Step"/> steps is on disk: a crash from now on resumes there.</summary>
public sealed record WorkerCheckpoint(long Step) : WorkerEvent;

/// <summary>The trial ended: completed, diverged, or interrupted after a checkpoint.</summary>
public sealed record WorkerResult(TrialResult Result) : WorkerEvent;

public enum WorkerErrorKind
{
    /// <summary>The trial file is invalid, or asks for what this machine lacks (a device, enough images for a batch). Retrying cannot help.</summary>
    BadConfig,
    /// <summary>A dataset or checkpoint file is missing, corrupt, or belongs to another trial. Retrying cannot help.</summary>
    BadData,
    /// <summary>Anything else (out of device memory, a bug); the message names the exception. A retry may succeed.</summary>
    Internal,
}

/// <summary>The trial could not run, or stopped with an exception; no result follows.</summary>
public sealed record WorkerError(WorkerErrorKind Kind, string Message) : WorkerEvent;
