using ClusterTrain.Shared.GradientStats;
using Google.Protobuf;

namespace ClusterTrain.Shared.Cluster;

/// <summary>
/// Cuts gradient snapshots into <see cref="GradientStatsBatch"/>es whose encoded size stays under a budget,
/// so that each fits one Akka.Remote frame (128,000 bytes by default). A ResNet-152 snapshot (about 150
/// weight layers with histograms) takes tens of kilobytes, so a batch holds a few snapshots; a snapshot
/// larger than the budget (many histogram bins) is split by layers into parts with the same step, in order.
/// </summary>
public static class GradientStatsBatching
{
    /// <summary>Akka.Remote's default <c>maximum-frame-size</c>.</summary>
    public const int RemotingFrameLimit = 128_000;

    /// <summary>
    /// Budget for one encoded batch. The rest of the frame carries the remoting envelope: recipient and
    /// sender actor paths, serializer id and manifest, and Akka.Remote's own framing.
    /// </summary>
    public const int DefaultBatchBytes = 100_000;

    /// <summary>Bytes of the encoded batch, as it travels.</summary>
    public static int EncodedSize(GradientStatsBatch batch) =>
        ProtocolCodec.BatchData(batch.SweepId, batch.TrialId, batch.Attempt, batch.SequenceNr, batch.Snapshots).CalculateSize();

    /// <summary>
    /// Batches numbered from <paramref name="firstSequenceNr"/>, each encoding to at most <paramref name="maxBatchBytes"/>,
    /// holding every layer of every snapshot in order.
    /// </summary>
    /// <exception cref="ArgumentException">One layer alone does not fit the budget (its histogram is too long to send).</exception>
    public static IReadOnlyList<GradientStatsBatch> Cut(
        string sweepId, string trialId, int attempt, long firstSequenceNr,
        IEnumerable<GradientSnapshot> snapshots, int maxBatchBytes = DefaultBatchBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(firstSequenceNr, 1);
        // The largest sequence number varint bounds the header of every batch.
        var headerBytes = ProtocolCodec.BatchData(sweepId, trialId, attempt, long.MaxValue, []).CalculateSize();
        var batches = new List<GradientStatsBatch>();
        var parts = new List<GradientSnapshot>();
        var closedBytes = headerBytes;

        void CloseBatch()
        {
            batches.Add(new GradientStatsBatch(sweepId, trialId, attempt, firstSequenceNr + batches.Count, parts.ToList()));
            parts.Clear();
            closedBytes = headerBytes;
        }

        foreach (var snapshot in snapshots)
        {
            var layers = new List<LayerGradientStats>();
            var emptyPartBytes = ProtocolCodec.ToData(snapshot with { Layers = [] }).CalculateSize();
            var partBytes = emptyPartBytes;
            foreach (var layer in snapshot.Layers)
            {
                var layerBytes = Field(ProtocolCodec.ToData(layer).CalculateSize());
                if (headerBytes + Field(emptyPartBytes + layerBytes) > maxBatchBytes)
                    throw new ArgumentException(
                        $"Layer {layer.Index} '{layer.Name}' of step {snapshot.Step} encodes to {layerBytes} bytes, more than a whole batch "
                        + $"of {maxBatchBytes} bytes may hold: its histogram of {layer.Histogram.Count} slots is too long to send.",
                        nameof(snapshots));
                if (closedBytes + Field(partBytes + layerBytes) > maxBatchBytes)
                {
                    if (layers.Count > 0) parts.Add(snapshot with { Layers = layers.ToList() });
                    CloseBatch();
                    layers.Clear();
                    partBytes = emptyPartBytes;
                }
                layers.Add(layer);
                partBytes += layerBytes;
            }
            parts.Add(snapshot with { Layers = layers });
            closedBytes += Field(partBytes);
        }
        if (parts.Count > 0) CloseBatch();
        return batches;
    }

    /// <summary>A length-delimited field of a message of <paramref name="bytes"/>: tag, length, body.</summary>
    private static int Field(int bytes) => 1 + CodedOutputStream.ComputeLengthSize(bytes) + bytes;
}
