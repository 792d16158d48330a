using System.Text.RegularExpressions;

namespace ClusterTrain.Cli.Tests.Cluster;

/// <summary>
/// SIGTERM, which Kubernetes sends to a pod it stops, as real processes receive it: the member leaves the cluster
/// gracefully (the others see it exit rather than go unreachable) and the command ends as interrupted.
/// </summary>
[Trait("Category", "Process")]
public sealed class SigtermTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly string _folder = ClusterTrainProcess.TempFolder();
    private readonly List<MemberProcess> _members = [];

    public void Dispose()
    {
        foreach (var member in _members) member.DisposeAsync().AsTask().Wait();
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task A_node_and_then_its_coordinator_stopped_with_SIGTERM_leave_the_cluster_gracefully_and_exit_as_interrupted()
    {
        var coordinator = Start("coordinator", "coordinator", "--port", "0", "--out", Path.Combine(_folder, "out"));
        var seed = (await coordinator.WaitForLineAsync(@"coordinator up at (\S+);", Patience)).Groups[1].Value;
        var node = Start("node", "node", "--seed-nodes", seed, "--slots", "1");
        var address = (await node.WaitForLineAsync(@"node up at (\S+)", Patience)).Groups[1].Value;

        var nodeExit = await node.TerminateAsync(Patience);

        await coordinator.WaitForLineAsync($@"Exiting confirmed \[{Regex.Escape(address)}\]", Patience);
        Assert.DoesNotContain(coordinator.Lines, l => l.Contains(address) && l.Contains("unreachable", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(node.Lines, l => l.Contains("node stopped"));
        var coordinatorExit = await coordinator.TerminateAsync(Patience);
        Assert.Equal((130, 130), (nodeExit, coordinatorExit));
        Assert.DoesNotContain(coordinator.Lines, l => l.Contains("Unhandled exception"));
    }

    /// <summary>Two tiny trials long enough to be caught running; one attempt each, so a counted loss would fail one.</summary>
    private const string Sweep = """
        name: restart
        data: { kind: synthetic, synthetic_train_size: 64, synthetic_test_size: 16 }
        fixed: { model.family: cifar-resnet, model.depth: 8, model.base_width: 8, batch_size: 16, max_steps: 80, epochs: 100 }
        grid: { model.shortcuts: [false, true] }
        stats: { every: 40, histogram_bins: 8 }
        resources: { cpu_threads_per_trial: 1 }
        retries: { max_attempts: 1 }
        checkpoint_every: 5
        """;

    [Fact]
    public async Task A_coordinator_stopped_gracefully_mid_trial_and_restarted_gets_its_nodes_back_and_counts_no_attempt()
    {
        var output = Path.Combine(_folder, "out");
        var spec = Path.Combine(_folder, "restart.yaml");
        File.WriteAllText(spec, Sweep);
        var first = Start("coordinator", "coordinator", "--port", "0", "--out", output, "--sweep", spec);
        var seed = (await first.WaitForLineAsync(@"coordinator up at (\S+);", Patience)).Groups[1].Value;
        var node = Start("node", "node", "--seed-nodes", seed, "--slots", "1");
        var firstMember = (await node.WaitForLineAsync(@"^node up at (\S+)", Patience)).Groups[1].Value;
        await node.WaitForLineAsync(@"started (\w+) attempt 1", Patience);

        Assert.Equal(130, await first.TerminateAsync(Patience));
        await first.WaitForLineAsync("Released 1 running attempt", TimeSpan.Zero);
        await node.WaitForLineAsync("left the cluster; this node stops its trials and joins again", Patience);
        var port = seed[(seed.LastIndexOf(':') + 1)..];
        var second = Start("coordinator-again", "coordinator", "--port", port, "--out", output, "--sweep", spec);

        var secondMember = (await node.WaitForLineAsync($@"^node up at (?!{Regex.Escape(firstMember)}$)(\S+)", Patience)).Groups[1].Value;
        await second.WaitForLineAsync($@"Leader is moving node \[{Regex.Escape(secondMember)}\] to \[Up\]", Patience);
        await second.WaitForLineAsync(@"sweep restart \(\w+\) finished", Patience);
        var rows = File.ReadAllLines(Path.Combine(output, "trials.csv"));
        var state = rows[0].Split(',').ToList().IndexOf("state");
        Assert.Equal(["completed", "completed"], rows.Skip(1).Select(r => r.Split(',')[state]));
    }

    private MemberProcess Start(string name, params string[] args)
    {
        var member = MemberProcess.Start(name, _folder, args);
        _members.Add(member);
        return member;
    }
}
