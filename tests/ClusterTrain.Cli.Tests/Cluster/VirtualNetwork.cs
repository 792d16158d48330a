using System.Diagnostics;

namespace ClusterTrain.Cli.Tests.Cluster;

/// <summary>
/// Hosts of their own on one machine: a network namespace per host, each with an address on a bridge in the root
/// namespace (iproute2, as root). Members bound to these addresses reach each other only over that bridge, so
/// setting a host's link down cuts it off as a pulled cable would.
/// </summary>
internal sealed class VirtualNetwork : IDisposable
{
    private readonly string _id;
    private readonly string _subnet;
    private readonly List<VirtualHost> _hosts = [];

    private VirtualNetwork(string id, string subnet)
    {
        _id = id;
        _subnet = subnet;
    }

    public IReadOnlyList<VirtualHost> Hosts => _hosts;

    private string Bridge => $"b{_id}";

    /// <summary>A network with one host per name, or null and why where namespaces cannot be made here.</summary>
    public static VirtualNetwork? TryCreate(IEnumerable<string> names, out string reason)
    {
        reason = "";
        if (!OperatingSystem.IsLinux()) { reason = "network namespaces are Linux only"; return null; }
        if (!Environment.IsPrivilegedProcess) { reason = "making network namespaces needs root"; return null; }
        var id = Guid.NewGuid().ToString("N")[..6];
        var network = new VirtualNetwork(id, $"10.231.{Random.Shared.Next(1, 255)}");
        try
        {
            network.Ip($"link add {network.Bridge} type bridge");
            network.Ip($"addr add {network._subnet}.1/24 dev {network.Bridge}");
            network.Ip($"link set {network.Bridge} up");
            var index = 10;
            foreach (var name in names) network.AddHost(name, index++);
            return network;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            network.Dispose();
            reason = $"network namespaces cannot be made here: {e.Message}";
            return null;
        }
    }

    /// <summary>Sets the host's link down: nothing reaches it, nothing leaves it.</summary>
    public void Cut(VirtualHost host) => Ip($"link set {host.Link} down");

    private void AddHost(string name, int index)
    {
        var host = new VirtualHost(name, $"ct-{_id}-{name}", $"{_subnet}.{index}", $"v{_id}{index}");
        var inside = $"{host.Link}n";
        Ip($"netns add {host.Namespace}");
        _hosts.Add(host);
        Ip($"link add {host.Link} type veth peer name {inside}");
        Ip($"link set {inside} netns {host.Namespace}");
        Ip($"link set {host.Link} master {Bridge}");
        Ip($"link set {host.Link} up");
        Ip($"-n {host.Namespace} addr add {host.Address}/24 dev {inside}");
        Ip($"-n {host.Namespace} link set {inside} up");
        Ip($"-n {host.Namespace} link set lo up");
    }

    private void Ip(string arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var word in arguments.Split(' ')) start.ArgumentList.Add(word);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"ip {arguments}: {error.Trim()}");
    }

    /// <summary>Removes the namespaces (their ends of the links go with them) and the bridge.</summary>
    public void Dispose()
    {
        foreach (var host in _hosts)
            TryIp($"netns del {host.Namespace}");
        TryIp($"link del {Bridge}");
    }

    private void TryIp(string arguments)
    {
        try { Ip(arguments); }
        catch (InvalidOperationException) { }
    }
}

internal sealed record VirtualHost(string Name, string Namespace, string Address, string Link);
