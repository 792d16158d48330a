using ClusterTrain.Shared;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Coordinator.Cluster;

/// <summary>
/// How the sweep coordinator runs. Bound from the configuration section "ClusterTrain:Coordinator" and the
/// environment variables <c>CLUSTERTRAIN_COORDINATOR__*</c> (docs/configuration.md).
/// </summary>
public sealed class CoordinatorOptions
{
    public const string Section = "ClusterTrain:Coordinator";

    /// <summary>
    /// Folder that every node reaches (a shared volume across machines, a local folder on one): trial
    /// checkpoints go to CheckpointRoot/sweep-id/trial-id, so an attempt on another node resumes them.
    /// </summary>
    public string CheckpointRoot { get; set; } = "";

    /// <summary>
    /// Folder of the embedded journal and of the reports of sweeps submitted with <c>clustertrain coordinator --sweep</c>;
    /// the checkpoints go to OutputFolder/checkpoints unless <see cref="CheckpointRoot"/> says otherwise.
    /// </summary>
    public string OutputFolder { get; set; } = "runs/cluster";

    /// <summary>Largest number of trials a submitted sweep may expand to.</summary>
    public int MaxTrialsPerSweep { get; set; } = SweepLimits.Default.MaxTrials;

    /// <summary>The coordinator's id in the journal; a different id starts with no sweeps.</summary>
    public string PersistenceId { get; set; } = "sweep-coordinator";

    /// <summary>
    /// The coordinator stores a snapshot of its state (statistics included) after at least this many journal events,
    /// and at least as many as the previous snapshot covered (a snapshot is as large as the whole state); recovery
    /// replays only the events after the latest one. 0: none taken, and recovery ignores stored ones.
    /// </summary>
    public int SnapshotEvery { get; set; } = 1000;

    /// <summary>
    /// A snapshot larger than this is not stored: writing it would hold the journal's writers back for seconds (SQLite
    /// has one writer), loading it would outlast the recovery timeout, and SQLite refuses blobs over 1 GB. Past it,
    /// recovery replays the journal from the last snapshot that was stored.
    /// </summary>
    public long SnapshotMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// A running attempt the coordinator hears nothing of (heartbeat, progress, statistics) for this long is lost and
    /// counted, its trial pending again, and its slot is told to stop it. Must exceed the nodes' heartbeat interval
    /// (5 s by default) with room for load. Zero: no timeout.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public IReadOnlyList<Problem> Check()
    {
        var problems = new List<Problem>();
        if (string.IsNullOrWhiteSpace(CheckpointRoot))
            problems.Add(new Problem($"{Section}:{nameof(CheckpointRoot)}", "is empty; name a folder every GPU node can reach."));
        if (MaxTrialsPerSweep < 1)
            problems.Add(new Problem($"{Section}:{nameof(MaxTrialsPerSweep)}", $"{MaxTrialsPerSweep} is not a positive number of trials."));
        if (SnapshotEvery < 0)
            problems.Add(new Problem($"{Section}:{nameof(SnapshotEvery)}", $"{SnapshotEvery} is not a number of events (0: no snapshots)."));
        if (SnapshotMaxBytes < 1)
            problems.Add(new Problem($"{Section}:{nameof(SnapshotMaxBytes)}", $"{SnapshotMaxBytes} is not a positive number of bytes (SnapshotEvery 0 turns snapshots off)."));
        if (AttemptTimeout < TimeSpan.Zero)
            problems.Add(new Problem($"{Section}:{nameof(AttemptTimeout)}", $"{AttemptTimeout} is not a time span (00:00:00: no timeout)."));
        if (string.IsNullOrWhiteSpace(PersistenceId))
            problems.Add(new Problem($"{Section}:{nameof(PersistenceId)}", "is empty."));
        return problems;
    }
}
