using System.Net;

namespace ClusterTrain.Cli.Tests.Cluster;

/// <summary>
/// A coordinator and two GPU nodes as real processes, each on a host of its own (a network namespace with its own
/// address), configured through environment variables as the container images are. One node's link is cut
/// mid-trial; the trial must resume from its checkpoint on the other node and every trial complete.
/// </summary>
[Trait("Category", "Process")]
public sealed class NetworkNamespaceTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private const int RemotingPort = 4053;
    private const int ManagementPort = 8558;

    private const string Sweep = """
        name: netns
        data: { kind: synthetic, synthetic_train_size: 64, synthetic_test_size: 16 }
        fixed: { model.family: cifar-resnet, model.depth: 8, model.base_width: 8, batch_size: 16, max_steps: 120, epochs: 100 }
        grid: { model.shortcuts: [false, true] }
        seeds: [0, 1]
        stats: { every: 50, histogram_bins: 8 }
        resources: { cpu_threads_per_trial: 1 }
        checkpoint_every: 5
        """;

    private readonly string _folder = ClusterTrainProcess.TempFolder();
    private readonly List<MemberProcess> _members = [];
    private VirtualNetwork? _network;

    public void Dispose()
    {
        foreach (var member in _members) member.DisposeAsync().AsTask().Wait();
        _network?.Dispose();
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }

    [SkippableFact]
    public async Task A_trial_on_a_node_whose_link_is_cut_resumes_on_the_node_of_another_host()
    {
        _network = VirtualNetwork.TryCreate(["coordinator", "node-a", "node-b"], out var reason);
        Skip.If(_network is null, reason);
        var (coordinatorHost, hostA, hostB) = (_network.Hosts[0], _network.Hosts[1], _network.Hosts[2]);
        var output = Path.Combine(_folder, "out");
        var spec = Path.Combine(_folder, "netns.yaml");
        File.WriteAllText(spec, Sweep);
        var seed = $"akka.tcp://clustertrain@{coordinatorHost.Address}:{RemotingPort}";

        var coordinator = Start(coordinatorHost, null, "coordinator", "--out", output, "--sweep", spec);
        var sweepId = (await coordinator.WaitForLineAsync(@"sweep netns \((\w+)\) (submitted|resumed)", Patience)).Groups[1].Value;
        var victim = Start(hostA, seed, "node", "--slots", "1");
        var survivor = Start(hostB, seed, "node", "--slots", "1");
        var trialId = (await victim.WaitForLineAsync(@"started (\w+) attempt 1", Patience)).Groups[1].Value;
        await survivor.WaitForLineAsync(@"node up at", Patience);
        foreach (var host in _network.Hosts)
            await UntilReadyAsync(host);
        var checkpoint = Path.Combine(output, "checkpoints", sweepId, trialId, "checkpoint.ckpt");
        using (var guard = new CancellationTokenSource(Patience))
            while (!File.Exists(checkpoint)) await Task.Delay(20, guard.Token);

        _network.Cut(hostA);

        var resumed = await survivor.WaitForLineAsync($@"{trialId} attempt 2 training, resumed from step (\d+)", Patience);
        await coordinator.WaitForLineAsync(@"sweep netns \(\w+\) finished: 4 completed", Patience);
        Assert.True(long.Parse(resumed.Groups[1].Value) > 0, $"attempt 2 of {trialId} started from step 0");
        Assert.Contains(coordinator.Lines, l => l.Contains($"akka.tcp://clustertrain@{hostA.Address}:{RemotingPort}") && l.Contains("unreachable", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A member on its host, told where to listen and whom to join through CLUSTERTRAIN_* variables only.</summary>
    private MemberProcess Start(VirtualHost host, string? seed, params string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["CLUSTERTRAIN_CLUSTER__HOSTNAME"] = host.Address,
            ["CLUSTERTRAIN_CLUSTER__PORT"] = RemotingPort.ToString(),
            ["CLUSTERTRAIN_CLUSTER__MANAGEMENTPORT"] = ManagementPort.ToString(),
        };
        if (seed is not null) environment["CLUSTERTRAIN_CLUSTER__SEEDNODES__0"] = seed;
        var member = MemberProcess.Start(host.Name, _folder, host.Namespace, environment, args);
        _members.Add(member);
        return member;
    }

    /// <summary>Until the host's /ready answers 200, asked over the bridge from the root namespace as a kubelet probe would.</summary>
    private static async Task UntilReadyAsync(VirtualHost host)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var deadline = new CancellationTokenSource(Patience);
        var last = "no answer";
        try
        {
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync($"http://{host.Address}:{ManagementPort}/ready", deadline.Token);
                    if (response.StatusCode == HttpStatusCode.OK) return;
                    last = response.StatusCode.ToString();
                }
                catch (HttpRequestException e) { last = e.Message; }
                await Task.Delay(200, deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{host.Name} ({host.Address}) was not ready within {Patience.TotalSeconds:F0} s: {last}");
        }
    }
}
