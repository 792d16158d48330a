using ClusterTrain.Shared;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// How a GPU node runs its slots. Bound from the configuration section "ClusterTrain:Node" and the environment
/// variables <c>CLUSTERTRAIN_NODE__*</c> (docs/configuration.md lists each one).
/// </summary>
public sealed class NodeOptions
{
    public const string Section = "ClusterTrain:Node";

    /// <summary>
    /// Number of CPU slots, splitting <see cref="Threads"/> evenly among them. Null: one slot per CUDA device, or one
    /// CPU slot on a machine without CUDA.
    /// </summary>
    public int? Slots { get; set; }

    /// <summary>CPU threads the node may use in all, divided evenly among CPU slots; 0 means every core.</summary>
    public int Threads { get; set; }

    /// <summary>
    /// Where this node reaches the shared checkpoint folder, when its path differs from the coordinator's (a volume
    /// mounted elsewhere): a trial's checkpoints are then CheckpointRoot/sweep-id/trial-id here. Empty: the folder
    /// the coordinator names in each StartTrial, as it is.
    /// </summary>
    public string? CheckpointRoot { get; set; }

    /// <summary>An idle slot asks for work again after this long without hearing <c>WorkAvailable</c>.</summary>
    public TimeSpan ReaskInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A running slot sends <c>TrialStillRunning</c> this often.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Unacknowledged statistics batches and results are sent again this often.</summary>
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most one <c>TrialProgressed</c> per slot this often.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a trial asked to stop may take to checkpoint before it is killed.</summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Simulation, for benchmarks of the coordinator: each trial, instead of training in a child process, sleeps this
    /// many seconds while sending the messages a real trial sends (progress, gradient-statistics batches of real size,
    /// the result). Null: train for real.
    /// </summary>
    public double? SimulatedTrialSeconds { get; set; }

    public IReadOnlyList<Problem> Check()
    {
        var problems = new List<Problem>();
        void Add(string key, string message) => problems.Add(new Problem($"{Section}:{key}", message));
        if (Slots is < 1) Add(nameof(Slots), $"{Slots} is not a positive number of slots.");
        if (SimulatedTrialSeconds is { } seconds && !(seconds > 0 && seconds <= TimeSpan.MaxValue.TotalSeconds / 2))
            Add(nameof(SimulatedTrialSeconds), $"{seconds} is not a positive number of seconds.");
        if (Threads < 0) Add(nameof(Threads), $"{Threads} is not a number of threads (0: every core).");
        foreach (var (key, value) in new[]
                 {
                     (nameof(ReaskInterval), ReaskInterval), (nameof(HeartbeatInterval), HeartbeatInterval),
                     (nameof(ResendInterval), ResendInterval), (nameof(ProgressInterval), ProgressInterval),
                     (nameof(StopGrace), StopGrace),
                 })
            if (value <= TimeSpan.Zero) Add(key, $"{value} is not a positive time span (use e.g. 00:00:05).");
        return problems;
    }
}
