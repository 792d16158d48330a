using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Cluster;

/// <summary>
/// Every message that crosses the network between cluster members. Each concrete type has a manifest in
/// <see cref="ProtocolCodec"/> and is bound to its serializer; any other type is refused on send.
/// </summary>
public interface IClusterTrainMessage;

/// <summary>What a GPU node's slot tells the sweep coordinator.</summary>
public interface ISlotReport : IClusterTrainMessage;

/// <summary>What the sweep coordinator tells a GPU node's slot.</summary>
public interface ISlotInstruction : IClusterTrainMessage;

/// <summary>
/// A message about one attempt of one trial of one sweep. Trial ids are stable across sweeps (the same
/// config has the same id in every sweep), so a trial is named by its sweep and its id; the attempt number
/// lets the coordinator tell a current attempt from a superseded one.
/// </summary>
public interface ITrialAttemptMessage
{
    string SweepId { get; }
    string TrialId { get; }
    int Attempt { get; }
}

/// <summary>
/// A free slot asks for a trial. The coordinator answers <see cref="StartTrial"/> or <see cref="NoWorkAvailable"/>.
/// The node is the sender's cluster address; a slot that asks again while the coordinator still counts an
/// attempt as running there has lost that attempt (its process is gone), and the attempt is counted as lost.
/// </summary>
/// <param name="SlotIndex">0-based slot number on its node.</param>
/// <param name="Device">What the slot trains on: "cuda:1", "cpu".</param>
public sealed record RequestWork(int SlotIndex, string Device) : ISlotReport;

/// <summary>Run attempt <paramref name="Attempt"/> of a trial, resuming from the checkpoint in <paramref name="CheckpointFolder"/> when there is one.</summary>
/// <param name="TrialConfigYaml">The trial config as it runs in this slot (<c>TrialFile.ToYaml(SweepSpec.ConfigFor(...))</c>).</param>
/// <param name="CheckpointFolder">Where this trial's checkpoints live, in the location every node reaches.</param>
/// <param name="Label">"ResNet-20 lr=0.1", for progress displays.</param>
public sealed record StartTrial(
    string SweepId,
    string TrialId,
    int Attempt,
    string TrialConfigYaml,
    string CheckpointFolder,
    string Label) : ISlotInstruction, ITrialAttemptMessage;

/// <summary>No pending trial fits now; the slot waits for <see cref="WorkAvailable"/>.</summary>
public sealed record NoWorkAvailable : ISlotInstruction
{
    public static NoWorkAvailable Instance { get; } = new();

    private NoWorkAvailable() { }
}

/// <summary>Sent to the slots last told <see cref="NoWorkAvailable"/> when trials become pending: ask again.</summary>
public sealed record WorkAvailable : ISlotInstruction
{
    public static WorkAvailable Instance { get; } = new();

    private WorkAvailable() { }
}

/// <summary>The trial's process started training.</summary>
public sealed record TrialStarted(string SweepId, string TrialId, int Attempt, long ResumedFromStep)
    : ISlotReport, ITrialAttemptMessage;

/// <summary>The latest step; progress is shown, never stored, so it needs no acknowledgement.</summary>
public sealed record TrialProgressed(string SweepId, string TrialId, int Attempt, StepProgress Progress)
    : ISlotReport, ITrialAttemptMessage;

/// <summary>
/// Gradient statistics of an attempt, cut by <see cref="GradientStatsBatching"/> to fit one remoting frame.
/// A snapshot too large for one batch is split by layers over consecutive batches, each part with its step.
/// The coordinator stores batch <paramref name="SequenceNr"/> (1, 2, ... per attempt) and only then answers
/// <see cref="GradientStatsBatchAccepted"/>; a batch sent again is acknowledged again and stored once.
/// </summary>
public sealed record GradientStatsBatch(
    string SweepId,
    string TrialId,
    int Attempt,
    long SequenceNr,
    IReadOnlyList<GradientSnapshot> Snapshots) : ISlotReport, ITrialAttemptMessage
{
    public bool Equals(GradientStatsBatch? other) =>
        other is not null && SweepId == other.SweepId && TrialId == other.TrialId && Attempt == other.Attempt
        && SequenceNr == other.SequenceNr && Snapshots.SequenceEqual(other.Snapshots);

    public override int GetHashCode() => HashCode.Combine(SweepId, TrialId, Attempt, SequenceNr, Snapshots.Count);
}

/// <summary>Batch <paramref name="SequenceNr"/> is stored (or belonged to a superseded attempt and was dropped): do not send it again.</summary>
public sealed record GradientStatsBatchAccepted(string SweepId, string TrialId, int Attempt, long SequenceNr)
    : ISlotInstruction, ITrialAttemptMessage;

/// <summary>The attempt ended with a result: completed, diverged, or interrupted after a checkpoint.</summary>
public sealed record TrialFinished(string SweepId, string TrialId, int Attempt, TrialResult Result)
    : ISlotReport, ITrialAttemptMessage;

/// <summary>The result is stored (or came from a superseded attempt and was dropped): do not send it again.</summary>
public sealed record TrialFinishedAccepted(string SweepId, string TrialId, int Attempt)
    : ISlotInstruction, ITrialAttemptMessage;

/// <summary>The attempt's process died or threw before producing a result.</summary>
public sealed record TrialCrashed(string SweepId, string TrialId, int Attempt, string Reason)
    : ISlotReport, ITrialAttemptMessage;

/// <summary>Stop the attempt (checkpointing first if it can) and free the slot.</summary>
public sealed record CancelTrial(string SweepId, string TrialId, int Attempt, string Reason)
    : ISlotInstruction, ITrialAttemptMessage;

/// <summary>
/// Heartbeat of a running attempt. It tells a coordinator that restarted where the attempt's slot is now;
/// one from a superseded attempt is answered with <see cref="CancelTrial"/>.
/// </summary>
public sealed record TrialStillRunning(string SweepId, string TrialId, int Attempt)
    : ISlotReport, ITrialAttemptMessage;
