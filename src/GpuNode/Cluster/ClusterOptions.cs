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

    /// <summary>
    /// How the member finds the cluster: <see cref="ClusterDiscovery.Config"/> joins <see cref="SeedNodes"/>;
    /// <see cref="ClusterDiscovery.Kubernetes"/> forms or joins the cluster through Akka.Management's cluster bootstrap,
    /// finding the other members as pods by <see cref="BootstrapOptions.PodLabelSelector"/> (no seed nodes).
    /// </summary>
    public string Discovery { get; set; } = ClusterDiscovery.Config;

    /// <summary>
    /// Port of the management HTTP endpoint: <c>/alive</c> and <c>/ready</c> for health probes, and the routes cluster
    /// bootstrap probes. Unset: <see cref="DefaultManagementPort"/> with Kubernetes discovery, no endpoint otherwise
    /// (the embedded <c>run</c> starts several members in one process). 0 takes a free port.
    /// </summary>
    public int? ManagementPort { get; set; }

    /// <summary>Cluster bootstrap on Kubernetes (used with <see cref="ClusterDiscovery.Kubernetes"/>).</summary>
    public BootstrapOptions Bootstrap { get; set; } = new();

    /// <summary>The management port members use unless told otherwise (Akka.Management's default).</summary>
    public const int DefaultManagementPort = 8558;

    /// <summary>
    /// Name of the container port that carries the management endpoint: Kubernetes discovery probes each pod's port of
    /// this name, so the manifests must name it so.
    /// </summary>
    public const string ManagementPortName = "management";

    /// <summary>The management port this member opens, or null for none.</summary>
    public int? EffectiveManagementPort => ManagementPort ?? (IsKubernetes ? DefaultManagementPort : null);

    internal bool IsKubernetes => string.Equals(Discovery, ClusterDiscovery.Kubernetes, StringComparison.OrdinalIgnoreCase);

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
        if (!ClusterDiscovery.All.Contains(Discovery, StringComparer.OrdinalIgnoreCase))
            Add(nameof(Discovery), $"'{Discovery}' is not a discovery method; use {string.Join(" or ", ClusterDiscovery.All)}.");
        else if (IsKubernetes)
        {
            if (SeedNodes.Count > 0)
                Add(nameof(SeedNodes), "must be empty with Kubernetes discovery: cluster bootstrap finds the members; remove the seed nodes or use Discovery=config.");
            problems.AddRange(Bootstrap.Check($"{Section}:{nameof(Bootstrap)}"));
        }
        else if (role == ClusterRoles.Gpu && SeedNodes.Count == 0)
            Add(nameof(SeedNodes), "a GPU node needs the address of at least one member to join, e.g. the coordinator's.");
        if (ManagementPort is < 0 or > 65535)
            Add(nameof(ManagementPort), $"{ManagementPort} is not a TCP port (0 picks a free one).");
        else if (ManagementPort is { } management && management != 0 && management == Port)
            Add(nameof(ManagementPort), $"{management} is also the remoting Port; give the management endpoint its own port.");
        return problems;
    }
}

/// <summary>How a member finds the cluster (<see cref="ClusterOptions.Discovery"/>).</summary>
public static class ClusterDiscovery
{
    /// <summary>Join the configured seed nodes (a coordinator without any forms its own cluster).</summary>
    public const string Config = "config";

    /// <summary>Akka.Management cluster bootstrap over Akka.Discovery.KubernetesApi: members found as pods by label.</summary>
    public const string Kubernetes = "kubernetes";

    public static IReadOnlyList<string> All { get; } = [Config, Kubernetes];
}

/// <summary>
/// Cluster bootstrap on Kubernetes: which pods are members, and how many must be seen before a new cluster forms.
/// Bound from "ClusterTrain:Cluster:Bootstrap" (<c>CLUSTERTRAIN_CLUSTER__BOOTSTRAP__*</c>).
/// </summary>
public sealed class BootstrapOptions
{
    /// <summary>
    /// Label selector of the pods that are members of this cluster (coordinator and GPU nodes alike), queried through
    /// the Kubernetes API in <see cref="PodNamespace"/>. The pods' service account needs get, watch and list on pods.
    /// </summary>
    public string PodLabelSelector { get; set; } = "app.kubernetes.io/part-of=clustertrain";

    /// <summary>Namespace to look for member pods in; unset: the pod's own (read from its service account).</summary>
    public string? PodNamespace { get; set; }

    /// <summary>
    /// How many member pods must be found before the lowest-addressed one may form a new cluster (existing clusters are
    /// joined whatever the count). 1 lets a lone coordinator start; more guards against two clusters forming at once.
    /// </summary>
    public int RequiredContactPoints { get; set; } = 1;

    /// <summary>How long the set of found pods must stay unchanged before a new cluster forms; null keeps Akka's (5 s).</summary>
    public TimeSpan? StableMargin { get; set; }

    /// <summary>Every problem with these options, each named under <paramref name="section"/>.</summary>
    public IReadOnlyList<Problem> Check(string section)
    {
        var problems = new List<Problem>();
        if (string.IsNullOrWhiteSpace(PodLabelSelector))
            problems.Add(new Problem($"{section}:{nameof(PodLabelSelector)}", "is empty; use the label every member pod carries, e.g. app.kubernetes.io/part-of=clustertrain."));
        if (RequiredContactPoints < 1)
            problems.Add(new Problem($"{section}:{nameof(RequiredContactPoints)}", $"{RequiredContactPoints} is below 1."));
        if (StableMargin is { } margin && margin <= TimeSpan.Zero)
            problems.Add(new Problem($"{section}:{nameof(StableMargin)}", $"{margin} is not a positive time span (e.g. 00:00:05)."));
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
