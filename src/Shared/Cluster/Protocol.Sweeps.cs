using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Cluster;

/// <summary>What a client (the CLI) asks the sweep coordinator.</summary>
public interface ISweepCommand : IClusterTrainMessage;

/// <summary>What the sweep coordinator answers a client.</summary>
public interface ISweepReply : IClusterTrainMessage;

/// <summary>
/// Run a sweep. The coordinator parses the YAML itself, so that what it stores is what it read; a sweep
/// submitted again (same name and trials) is the same sweep and resumes where it stopped.
/// </summary>
/// <param name="SourceName">Named in every problem, e.g. the spec's path.</param>
/// <param name="BaseDirectory">Relative dataset paths resolve against it; null: the folder of <paramref name="SourceName"/>.</param>
public sealed record SubmitSweep(string SpecYaml, string SourceName, string? BaseDirectory = null) : ISweepCommand;

/// <param name="AlreadyKnown">The sweep had been submitted before; it goes on from its stored state.</param>
public sealed record SweepAccepted(string SweepId, string Name, int TrialCount, bool AlreadyKnown) : ISweepReply;

/// <summary>The spec is invalid; nothing was stored. Each problem as "file:line: yaml.path: what is wrong".</summary>
public sealed record SweepRejected(string SourceName, IReadOnlyList<string> Problems) : ISweepReply
{
    public bool Equals(SweepRejected? other) =>
        other is not null && SourceName == other.SourceName && Problems.SequenceEqual(other.Problems);

    public override int GetHashCode() => HashCode.Combine(SourceName, Problems.Count);
}

/// <summary>
/// Counts by state and a page of trials, in expansion order: a page keeps the answer under the remoting
/// frame limit however large the sweep.
/// </summary>
/// <param name="TrialOffset">Index of the first trial reported.</param>
/// <param name="TrialLimit">Most trials reported; 0 for counts only.</param>
public sealed record GetSweepStatus(string SweepId, int TrialOffset = 0, int TrialLimit = GetSweepStatus.DefaultTrialLimit) : ISweepCommand
{
    /// <summary>About 300 bytes a trial on the wire: a page of this many stays far below 128,000 bytes.</summary>
    public const int DefaultTrialLimit = 200;
}

/// <summary>One trial as the coordinator sees it.</summary>
/// <param name="Slot">Where the current attempt runs; null unless Running.</param>
/// <param name="Reason">Why it failed, was cancelled, or went back to pending.</param>
/// <param name="Progress">The latest step of the running attempt, if one was reported since the coordinator started.</param>
/// <param name="Result">The accepted result of a Completed or Diverged trial.</param>
public sealed record TrialReport(
    string TrialId,
    int Index,
    string Label,
    TrialState State,
    int Attempts,
    TrialSlot? Slot,
    string? Reason,
    StepProgress? Progress,
    TrialResult? Result);

/// <summary>Trial counts by state, and whether the sweep was cancelled.</summary>
public sealed record SweepCounts(int Pending, int Running, int Completed, int Diverged, int Failed, int Cancelled)
{
    public int Total => Pending + Running + Completed + Diverged + Failed + Cancelled;

    /// <summary>No trial is pending or running.</summary>
    public bool Finished => Pending == 0 && Running == 0;
}

public sealed record SweepStatus(
    string SweepId,
    string Name,
    bool Cancelled,
    SweepCounts Counts,
    IReadOnlyList<TrialReport> Trials) : ISweepReply
{
    public bool Equals(SweepStatus? other) =>
        other is not null && SweepId == other.SweepId && Name == other.Name && Cancelled == other.Cancelled
        && Counts == other.Counts && Trials.SequenceEqual(other.Trials);

    public override int GetHashCode() => HashCode.Combine(SweepId, Counts);
}

/// <summary>Cancel every trial of the sweep that has not ended; running ones are told to stop.</summary>
public sealed record CancelSweep(string SweepId, string Reason) : ISweepCommand;

/// <param name="TrialsCancelled">Trials that were pending or running and are now Cancelled.</param>
public sealed record SweepCancellationAccepted(string SweepId, int TrialsCancelled) : ISweepReply;

/// <summary>No sweep with this id was ever submitted.</summary>
public sealed record UnknownSweep(string SweepId) : ISweepReply;
