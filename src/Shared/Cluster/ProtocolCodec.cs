using ClusterTrain.Shared.Cluster.Wire;
using Google.Protobuf;

namespace ClusterTrain.Shared.Cluster;

/// <summary>
/// The protobuf wire format of every <see cref="IClusterTrainMessage"/> and <see cref="ISweepEvent"/>:
/// each record type has one stable manifest (written out, never derived from a type name, so renaming a
/// class cannot break a stored journal or a node of the previous version) and one protobuf message.
/// </summary>
public static partial class ProtocolCodec
{
    private sealed record Entry(Type Type, string Manifest, Func<object, IMessage> ToWire, Func<byte[], object> FromBytes);

    private static readonly Entry[] Entries =
    [
        // slot <-> coordinator
        Register<RequestWork, RequestWorkData>("RequestWork", ToData, FromData),
        Register<StartTrial, StartTrialData>("StartTrial", ToData, FromData),
        Register<NoWorkAvailable, EmptyData>("NoWorkAvailable", _ => new EmptyData(), _ => NoWorkAvailable.Instance),
        Register<WorkAvailable, EmptyData>("WorkAvailable", _ => new EmptyData(), _ => WorkAvailable.Instance),
        Register<TrialStarted, TrialStartedData>("TrialStarted", ToData, FromData),
        Register<TrialProgressed, TrialProgressedData>("TrialProgressed", ToData, FromData),
        Register<GradientStatsBatch, GradientStatsBatchData>("GradientStatsBatch", ToData, FromData),
        Register<GradientStatsBatchAccepted, GradientStatsBatchAcceptedData>("GradientStatsBatchAccepted", ToData, FromData),
        Register<TrialFinished, TrialFinishedData>("TrialFinished", ToData, FromData),
        Register<TrialFinishedAccepted, TrialAttemptData>("TrialFinishedAccepted",
            m => Attempt(m), d => new TrialFinishedAccepted(d.SweepId, d.TrialId, d.Attempt)),
        Register<TrialCrashed, TrialAttemptReasonData>("TrialCrashed",
            m => AttemptReason(m, m.Reason), d => new TrialCrashed(d.SweepId, d.TrialId, d.Attempt, d.Reason)),
        Register<CancelTrial, TrialAttemptReasonData>("CancelTrial",
            m => AttemptReason(m, m.Reason), d => new CancelTrial(d.SweepId, d.TrialId, d.Attempt, d.Reason)),
        Register<TrialStillRunning, TrialAttemptData>("TrialStillRunning",
            m => Attempt(m), d => new TrialStillRunning(d.SweepId, d.TrialId, d.Attempt)),

        // client <-> coordinator
        Register<SubmitSweep, SubmitSweepData>("SubmitSweep", ToData, FromData),
        Register<SweepAccepted, SweepAcceptedData>("SweepAccepted", ToData, FromData),
        Register<SweepRejected, SweepRejectedData>("SweepRejected", ToData, FromData),
        Register<GetSweepStatus, GetSweepStatusData>("GetSweepStatus", ToData, FromData),
        Register<SweepStatus, SweepStatusData>("SweepStatus", ToData, FromData),
        Register<CancelSweep, SweepReasonData>("CancelSweep",
            m => new SweepReasonData { SweepId = m.SweepId, Reason = m.Reason }, d => new CancelSweep(d.SweepId, d.Reason)),
        Register<SweepCancellationAccepted, SweepCancellationAcceptedData>("SweepCancellationAccepted",
            m => new SweepCancellationAcceptedData { SweepId = m.SweepId, TrialsCancelled = m.TrialsCancelled },
            d => new SweepCancellationAccepted(d.SweepId, d.TrialsCancelled)),
        Register<UnknownSweep, UnknownSweepData>("UnknownSweep",
            m => new UnknownSweepData { SweepId = m.SweepId }, d => new UnknownSweep(d.SweepId)),

        // journal events
        Register<SweepSubmitted, SweepSubmittedData>("SweepSubmitted", ToData, FromData),
        Register<TrialAssigned, TrialAssignedData>("TrialAssigned", ToData, FromData),
        Register<StatsBatchRecorded, GradientStatsBatchData>("StatsBatchRecorded",
            m => BatchData(m.SweepId, m.TrialId, m.Attempt, m.SequenceNr, m.Snapshots),
            d => new StatsBatchRecorded(d.SweepId, d.TrialId, d.Attempt, d.SequenceNr, Snapshots(d))),
        Register<TrialEnded, TrialEndedData>("TrialEnded", ToData, FromData),
        Register<TrialAttemptLost, TrialAttemptLostData>("TrialAttemptLost", ToData, FromData),
        Register<SweepCancelled, SweepReasonData>("SweepCancelled",
            m => new SweepReasonData { SweepId = m.SweepId, Reason = m.Reason }, d => new SweepCancelled(d.SweepId, d.Reason)),

        // snapshot store
        Register<CoordinatorSnapshot, CoordinatorSnapshotData>("CoordinatorSnapshot", ToData, FromData),
    ];

    private static readonly Dictionary<Type, Entry> ByType = Entries.ToDictionary(e => e.Type);

    private static readonly Dictionary<string, Entry> ByManifest = Entries.ToDictionary(e => e.Manifest, StringComparer.Ordinal);

    /// <summary>Every record type with a wire format: exactly the types to bind to the protocol serializer.</summary>
    public static IReadOnlyList<Type> MessageTypes { get; } = Entries.Select(e => e.Type).ToList();

    public static bool Handles(Type type) => ByType.ContainsKey(type);

    /// <exception cref="ArgumentException">The type is not part of the protocol.</exception>
    public static string ManifestOf(object message) => EntryFor(message).Manifest;

    /// <exception cref="ArgumentException">The type is not part of the protocol.</exception>
    public static byte[] Encode(object message)
    {
        var entry = EntryFor(message);
        return entry.ToWire(message).ToByteArray();
    }

    /// <summary>How many bytes <see cref="Encode"/> would write, without writing them.</summary>
    /// <exception cref="ArgumentException">The type is not part of the protocol.</exception>
    public static long EncodedSize(object message) => EntryFor(message).ToWire(message).CalculateSize();

    /// <exception cref="ArgumentException">The manifest names no protocol message.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a valid message of that manifest.</exception>
    public static object Decode(byte[] bytes, string manifest)
    {
        if (!ByManifest.TryGetValue(manifest, out var entry))
            throw new ArgumentException(
                $"'{manifest}' is not a ClusterTrain protocol manifest; known: {string.Join(", ", ByManifest.Keys)}.", nameof(manifest));
        try
        {
            return entry.FromBytes(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{bytes.Length} bytes are not a valid '{manifest}' message: {e.Message}", e);
        }
    }

    private static Entry EntryFor(object message) =>
        ByType.TryGetValue(message.GetType(), out var entry)
            ? entry
            : throw new ArgumentException(
                $"{message.GetType().FullName} is not a ClusterTrain protocol message: only the records in ClusterTrain.Shared.Cluster have a wire format.",
                nameof(message));

    private static Entry Register<TRecord, TWire>(string manifest, Func<TRecord, TWire> toWire, Func<TWire, object> fromWire)
        where TWire : IMessage<TWire>, new()
    {
        var parser = new MessageParser<TWire>(() => new TWire());
        return new Entry(typeof(TRecord), manifest, m => toWire((TRecord)m), bytes => fromWire(parser.ParseFrom(bytes)));
    }
}
