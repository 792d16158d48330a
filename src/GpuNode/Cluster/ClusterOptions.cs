using Akka.Actor;
using ClusterTrain.Shared;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// Where a member listens and whom it joins. Bound from the configuration section "ClusterTrain:Cluster" and
/// the environment variables <c>CLUSTERTRAIN_CLUSTER__*</c> (docs/configuration.md lists each one).
/// </summary>
public sealed class ClusterOptions
{
    public const string Section = "ClusterTrain:Cluster";

    /// <summary>The actor system's name: every member of one cluster uses the same.</summary>
    public string SystemName { get; set; } = "clustertrain";

    /// <summary>Address to bind: "127.0.0.1" for one machine, "0.0.0.0" to listen on every interface.</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (the member's address then says which).</summary>
    public int Port { get; set; }

    /// <summary>Host name other members use to reach this one, when it differs from <see cref="Hostname"/> (containers, NAT).</summary>
    public string? PublicHostname { get; set; }

    /// <summary>
    /// Members to join, as "akka.tcp://clustertrain@host:port". A coordinator with none forms a cluster of its
    /// own; a GPU node needs at least one.
    /// </summary>
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>Roles added to the one the process runs as.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>
    /// How long a member may go unheard before it counts as unreachable (Akka's cluster failure detector
    /// <c>acceptable-heartbeat-pause</c>); null keeps Akka's default (3 s). Shorter finds a dead node sooner,
    /// at the price of false alarms under load.
    /// </summary>
    public TimeSpan? AcceptableHeartbeatPause { get; set; }

    /// <summary>How often members send each other failure-detector heartbeats; null keeps Akka's default (1 s).</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>
    /// How long the cluster's membership must stay unchanged before the split brain resolver downs unreachable
    /// members (<c>split-brain-resolver.stable-after</c>); null keeps Akka's default (20 s). A dead node's trials go
    /// back to pending only after its pause plus this.
    /// </summary>
    public TimeSpan? DowningStableAfter { get; set; }

    /// <summary>Every problem with these options for a member of <paramref name="role"/>, each naming its key.</summary>
    public IReadOnlyList<Problem> Check(string role)
    {
        var problems = new List<Problem>();
        void Add(string key, string message) => problems.Add(new Problem($"{Section}:{key}", message));

        if (string.IsNullOrWhiteSpace(SystemName) || !ActorPath.IsValidPathElement(SystemName))
            Add(nameof(SystemName), $"'{SystemName}' is not a valid actor system name (letters, digits, '-' and '_').");
        if (string.IsNullOrWhiteSpace(Hostname))
            Add(nameof(Hostname), "is empty; use 127.0.0.1 for one machine or 0.0.0.0 with a PublicHostname.");
        if (Port is < 0 or > 65535)
            Add(nameof(Port), $"{Port} is not a TCP port (0 picks a free one).");
        for (var i = 0; i < SeedNodes.Count; i++)
        {
            if (!Address.TryParse(SeedNodes[i], out var address) || address.Host is null || address.Port is null)
                Add($"{nameof(SeedNodes)}:{i}", $"'{SeedNodes[i]}' is not a member address like akka.tcp://{SystemName}@host:4053.");
            else if (address.System != SystemName)
                Add($"{nameof(SeedNodes)}:{i}", $"'{SeedNodes[i]}' names system '{address.System}', but this member's SystemName is '{SystemName}'.");
        }
        if (AcceptableHeartbeatPause is { } pause && pause <= TimeSpan.Zero)
            Add(nameof(AcceptableHeartbeatPause), $"{pause} is not a positive time span (e.g. 00:00:03).");
        if (HeartbeatInterval is { } interval && interval <= TimeSpan.Zero)
            Add(nameof(HeartbeatInterval), $"{interval} is not a positive time span (e.g. 00:00:01).");
        if (DowningStableAfter is { } stable && stable <= TimeSpan.Zero)
            Add(nameof(DowningStableAfter), $"{stable} is not a positive time span (e.g. 00:00:20).");
        if (role == ClusterRoles.Gpu && SeedNodes.Count == 0)
            Add(nameof(SeedNodes), "a GPU node needs the address of at least one member to join, e.g. the coordinator's.");
        return problems;
    }
}

/// <summary>The roles members run as.</summary>
public static class ClusterRoles
{
    /// <summary>Hosts the sweep coordinator singleton and its journal.</summary>
    public const string Coordinator = "coordinator";

    /// <summary>Trains trials in its slots.</summary>
    public const string Gpu = "gpu";

    public static IReadOnlyList<string> All { get; } = [Coordinator, Gpu];
}
