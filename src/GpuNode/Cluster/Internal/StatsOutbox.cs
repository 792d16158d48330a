using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;

namespace ClusterTrain.GpuNode.Cluster.Internal;

/// <summary>
/// The statistics batches of one attempt that the coordinator has not acknowledged yet, numbered 1, 2, ...
/// The coordinator stores batches only in sequence, so an acknowledgement of batch k covers every batch up to k.
/// </summary>
internal sealed class StatsOutbox(string sweepId, string trialId, int attempt)
{
    private readonly List<GradientStatsBatch> _unacknowledged = [];
    private long _nextSequenceNr = 1;

    public bool Empty => _unacknowledged.Count == 0;

    /// <summary>Cuts the snapshot into frame-sized batches and keeps them until acknowledged; returns them to send.</summary>
    public IReadOnlyList<GradientStatsBatch> Add(GradientSnapshot snapshot)
    {
        var batches = GradientStatsBatching.Cut(sweepId, trialId, attempt, _nextSequenceNr, [snapshot]);
        _nextSequenceNr += batches.Count;
        _unacknowledged.AddRange(batches);
        return batches;
    }

    public void Acknowledge(long sequenceNr) => _unacknowledged.RemoveAll(b => b.SequenceNr <= sequenceNr);

    /// <summary>Every unacknowledged batch, in order.</summary>
    public IReadOnlyList<GradientStatsBatch> Unacknowledged => _unacknowledged;
}
