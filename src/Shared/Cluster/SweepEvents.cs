using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Cluster;

/// <summary>
/// What the sweep coordinator stores in its journal, in order; replaying them rebuilds every sweep. Each is
/// a fact already decided: applying one never consults the clock, the cluster or anything but the state.
/// </summary>
public interface ISweepEvent;

/// <summary>A sweep was accepted. The spec is stored as submitted and parsed again on replay.</summary>
/// <param name="BaseDirectory">Where relative dataset paths resolved when it was accepted.</param>
public sealed record SweepSubmitted(string SweepId, string SpecYaml, string SourceName, string BaseDirectory) : ISweepEvent;

/// <summary>Attempt <paramref name="Attempt"/> of a pending trial went to a slot.</summary>
/// <param name="Node">Cluster address of the slot's node.</param>
/// <param name="SlotPath">Actor path of the slot, to reach it after a coordinator restart.</param>
public sealed record TrialAssigned(
    string SweepId,
    string TrialId,
    int Attempt,
    string Node,
    int SlotIndex,
    string Device,
    string SlotPath) : ISweepEvent, ITrialAttemptMessage;

/// <summary>A batch of gradient statistics of the current attempt, stored before it was acknowledged.</summary>
public sealed record StatsBatchRecorded(
    string SweepId,
    string TrialId,
    int Attempt,
    long SequenceNr,
    IReadOnlyList<GradientSnapshot> Snapshots) : ISweepEvent, ITrialAttemptMessage
{
    public bool Equals(StatsBatchRecorded? other) =>
        other is not null && SweepId == other.SweepId && TrialId == other.TrialId && Attempt == other.Attempt
        && SequenceNr == other.SequenceNr && Snapshots.SequenceEqual(other.Snapshots);

    public override int GetHashCode() => HashCode.Combine(SweepId, TrialId, Attempt, SequenceNr);
}

/// <summary>The current attempt's result, the one accepted for the trial: Completed, Diverged, or Interrupted (pending again).</summary>
public sealed record TrialEnded(string SweepId, string TrialId, int Attempt, TrialResult Result) : ISweepEvent, ITrialAttemptMessage;

public enum AttemptLoss
{
    /// <summary>The node was removed from the cluster without leaving on purpose (killed, crashed, cut off and downed); counts.</summary>
    NodeLost,
    /// <summary>The trial's process crashed; counts.</summary>
    Crashed,
    /// <summary>The node left the cluster on purpose (SIGTERM, Ctrl-C, scale-down); does not count against max_attempts.</summary>
    NodeLeft,
}

/// <summary>
/// The current attempt ended without a result: the trial is pending again, or Failed once its counted attempts are used
/// up (a <see cref="AttemptLoss.NodeLeft"/> loss never counts).
/// </summary>
public sealed record TrialAttemptLost(string SweepId, string TrialId, int Attempt, AttemptLoss Loss, string Reason)
    : ISweepEvent, ITrialAttemptMessage;

/// <summary>Every trial of the sweep not yet ended became Cancelled.</summary>
public sealed record SweepCancelled(string SweepId, string Reason) : ISweepEvent;
