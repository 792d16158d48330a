using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Cluster;

/// <summary>
/// The sweep coordinator's whole state at one position of its journal, stored as an Akka.Persistence snapshot so that
/// recovery replays only the events after it. Everything events built is in it, gradient statistics included: they
/// are most of the state, and the reports need every one. Sweeps whose stored spec no longer read are never in one
/// (the coordinator takes no snapshot while it holds such a sweep, whose skipped events only the journal keeps).
/// </summary>
public sealed record CoordinatorSnapshot(IReadOnlyList<SweepSnapshot> Sweeps)
{
    public bool Equals(CoordinatorSnapshot? other) => other is not null && Sweeps.SequenceEqual(other.Sweeps);

    public override int GetHashCode() => Sweeps.Count;
}

/// <param name="Submitted">The sweep as accepted; parsed again on recovery, as on replay.</param>
/// <param name="EndedOrder">Trials whose statistics went into the per-configuration aggregates, in the order they ended.</param>
public sealed record SweepSnapshot(SweepSubmitted Submitted, bool Cancelled, IReadOnlyList<TrialStateSnapshot> Trials, IReadOnlyList<string> EndedOrder)
{
    public bool Equals(SweepSnapshot? other) =>
        other is not null && Submitted == other.Submitted && Cancelled == other.Cancelled
        && Trials.SequenceEqual(other.Trials) && EndedOrder.SequenceEqual(other.EndedOrder);

    public override int GetHashCode() => HashCode.Combine(Submitted, Cancelled, Trials.Count);
}

/// <summary>One trial: its lifecycle status, accepted result, where its attempt runs, and its statistics so far.</summary>
/// <param name="StatsSequence">The last statistics batch stored of the running attempt.</param>
/// <param name="Gradients">Each step with the attempt whose report it holds.</param>
public sealed record TrialStateSnapshot(
    string TrialId,
    TrialStatus Status,
    TrialResult? Result,
    string? SlotPath,
    long StatsSequence,
    IReadOnlyList<AttemptStep> Gradients)
{
    public bool Equals(TrialStateSnapshot? other) =>
        other is not null && TrialId == other.TrialId && Status == other.Status && Result == other.Result
        && SlotPath == other.SlotPath && StatsSequence == other.StatsSequence && Gradients.SequenceEqual(other.Gradients);

    public override int GetHashCode() => HashCode.Combine(TrialId, Status, StatsSequence);
}

/// <summary>One step's gradient statistics and the attempt that reported them.</summary>
public sealed record AttemptStep(int Attempt, GradientSnapshot Snapshot);
