using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Shared.Cluster;

/// <summary>
/// Questions for the sweep coordinator from its own process (the embedded `run`, tests). Their answers hold
/// whole sweeps' statistics, far beyond one remoting frame, so they have no wire format: sent to a
/// coordinator on another member, strict serialization refuses them.
/// </summary>
public interface ILocalSweepQuery;

/// <summary>Answered with <see cref="SweepGradients"/>, or <see cref="UnknownSweep"/>.</summary>
public sealed record GetSweepGradients(string SweepId) : ILocalSweepQuery;

/// <param name="Trials">Trial id to its snapshots by step (the final attempt's where attempts overlap).</param>
/// <param name="Configurations">Configuration key to the spread across seeds of the trials that ended with a result.</param>
public sealed record SweepGradients(
    string SweepId,
    IReadOnlyDictionary<string, IReadOnlyList<GradientSnapshot>> Trials,
    IReadOnlyDictionary<string, IReadOnlyList<SeedSpread>> Configurations);

/// <summary>Answered with <see cref="SweepList"/>: every sweep, in submission order.</summary>
public sealed record ListSweeps : ILocalSweepQuery
{
    public static ListSweeps Instance { get; } = new();

    private ListSweeps() { }
}

/// <param name="Spec">The sweep as the coordinator parsed it, for reports.</param>
public sealed record SweepListing(string SweepId, SweepSpec Spec, bool Cancelled, SweepCounts Counts);

public sealed record SweepList(IReadOnlyList<SweepListing> Sweeps);
