namespace ClusterTrain.Coordinator.Cluster.Internal;

/// <summary>
/// When the coordinator stores its next snapshot. A snapshot holds the whole state, gradient statistics included, so it
/// grows with every trial; taken every fixed number of events, a long sweep would write its whole history again and
/// again (measured: a 117 MB snapshot every 1,000 events after 20,000 trials, and the sweep slowing down as it grew).
/// Spacing snapshots by at least as many events as the previous one covered keeps the snapshot writes within a constant
/// factor of the journal's own, and recovery still replays at most about half of the journal.
/// </summary>
internal static class SnapshotSchedule
{
    /// <param name="sequenceNr">The coordinator's latest stored event.</param>
    /// <param name="lastSnapshotAt">The event the latest snapshot covers up to; 0 when there is none.</param>
    /// <param name="every">The configured minimum spacing (<see cref="CoordinatorOptions.SnapshotEvery"/>); 0: never.</param>
    public static bool IsDue(long sequenceNr, long lastSnapshotAt, int every) =>
        every > 0 && sequenceNr - lastSnapshotAt >= Math.Max(every, lastSnapshotAt);
}
