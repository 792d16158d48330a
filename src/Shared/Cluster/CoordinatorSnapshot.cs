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
public sealed record CoordinatorSnapshot(IReadOnlyList<SweepSnapshot> Sweeps);

/// <param name="Submitted">The sweep as accepted; parsed again on recovery, as on replay.</param>
/// <param name="EndedOrder">Trials whose statistics went into the per-configuration aggregates, in the order they ended.</param>
public sealed record SweepSnapshot(SweepSubmitted Submitted, bool Cancelled, IReadOnlyList<TrialStateSnapshot> Trials, IReadOnlyList<string> EndedOrder);

/// <summary>One trial: its lifecycle status, accepted result, where its attempt runs, and its statistics so far.</summary>
/// <param name="StatsSequence">The last statistics batch stored of the running attempt.</param>
/// <param name="Gradients">Each step with the attempt whose report it holds.</param>
public sealed record TrialStateSnapshot(
    string TrialId,
    TrialStatus Status,
    TrialResult? Result,
    string? SlotPath,
    long StatsSequence,
    IReadOnlyList<AttemptStep> Gradients);

/// <summary>One step's gradient statistics and the attempt that reported them.</summary>
public sealed record AttemptStep(int Attempt, GradientSnapshot Snapshot);
