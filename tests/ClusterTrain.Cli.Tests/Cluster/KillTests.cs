using System.Text.RegularExpressions;

namespace ClusterTrain.Cli.Tests.Cluster;

/// <summary>
/// A coordinator and two GPU nodes as real processes on loopback; one of them is SIGKILLed mid-sweep. Every trial must
/// still complete exactly once, an interrupted one resuming from its checkpoint.
/// </summary>
[Trait("Category", "Process")]
public sealed class KillTests : IDisposable
{
    /// <summary>Guards against a hang only; no assertion depends on how fast anything is.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly string _folder = ClusterTrainProcess.TempFolder();
    private readonly List<MemberProcess> _members = [];

    /// <summary>Four tiny trials long enough to be caught mid-run, checkpointing every 5 steps.</summary>
    private const string Sweep = """
        name: kill
        data: { kind: synthetic, synthetic_train_size: 64, synthetic_test_size: 16 }
        fixed: { model.family: cifar-resnet, model.depth: 8, model.base_width: 8, batch_size: 16, max_steps: 120, epochs: 100 }
        grid: { model.shortcuts: [false, true] }
        seeds: [0, 1]
        stats: { every: 50, histogram_bins: 8 }
        resources: { cpu_threads_per_trial: 1 }
        checkpoint_every: 5
        """;

    private string Out => Path.Combine(_folder, "out");

    private string SpecPath => Path.Combine(_folder, "kill.yaml");

    public void Dispose()
    {
        foreach (var member in _members) member.DisposeAsync().AsTask().Wait();
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }

    private MemberProcess Start(string name, params string[] args)
    {
        var member = MemberProcess.Start(name, _folder, args);
        _members.Add(member);
        return member;
    }

    private async Task<(MemberProcess Coordinator, string Address, string SweepId)> StartCoordinatorAsync(string port = "0")
    {
        var coordinator = Start("coordinator", "coordinator", "--port", port, "--out", Out, "--sweep", SpecPath);
        var address = (await coordinator.WaitForLineAsync(@"coordinator up at (\S+);", Patience)).Groups[1].Value;
        var sweepId = (await coordinator.WaitForLineAsync(@"sweep kill \((\w+)\) (submitted|resumed)", Patience)).Groups[1].Value;
        return (coordinator, address, sweepId);
    }

    private MemberProcess StartNode(string name, string seed) => Start(name, "node", "--seed-nodes", seed, "--slots", "1");

    /// <summary>trial id to (state, attempts, steps), from trials.csv.</summary>
    private Dictionary<string, (string State, int Attempts, long Steps)> Trials()
    {
        var lines = File.ReadAllLines(Path.Combine(Out, "trials.csv"));
        var header = lines[0].Split(',').ToList();
        int Column(string name) => header.IndexOf(name);
        return lines.Skip(1).Select(line => line.Split(',')).ToDictionary(c => c[Column("trial_id")],
            c => (c[Column("state")], int.Parse(c[Column("attempts")]), long.Parse(c[Column("steps")])));
    }

    private static IEnumerable<string> StartedTrials(MemberProcess node) =>
        node.Lines.Select(l => Regex.Match(l, @"started (\w+) attempt")).Where(m => m.Success).Select(m => m.Groups[1].Value);

    [Fact]
    public async Task A_trial_on_a_killed_node_resumes_from_its_checkpoint_on_the_other_node_and_every_trial_completes_once()
    {
        File.WriteAllText(SpecPath, Sweep);
        var (coordinator, address, sweepId) = await StartCoordinatorAsync();
        var victim = StartNode("node-a", address);
        var survivor = StartNode("node-b", address);
        var trialId = (await victim.WaitForLineAsync(@"started (\w+) attempt 1", Patience)).Groups[1].Value;
        var checkpoint = Path.Combine(Out, "checkpoints", sweepId, trialId, "checkpoint.ckpt");
        using (var guard = new CancellationTokenSource(Patience))
            while (!File.Exists(checkpoint)) await Task.Delay(20, guard.Token);

        await victim.KillAsync();

        var resumed = await survivor.WaitForLineAsync($@"{trialId} attempt 2 training, resumed from step (\d+)", Patience);
        await coordinator.WaitForLineAsync(@"sweep kill \(\w+\) finished", Patience);
        Assert.True(long.Parse(resumed.Groups[1].Value) > 0, $"attempt 2 of {trialId} started from step 0");
        var trials = Trials();
        Assert.Equal(4, trials.Count);
        Assert.All(trials.Values, t => Assert.Equal(("completed", 120L), (t.State, t.Steps)));
        Assert.Equal(2, trials[trialId].Attempts);
        var startedOnSurvivor = StartedTrials(survivor).ToList();
        Assert.Equal(startedOnSurvivor.Distinct().Count(), startedOnSurvivor.Count);
    }

    [Fact]
    public async Task A_sweep_goes_on_after_its_coordinator_is_killed_and_restarted_without_running_a_completed_trial_again()
    {
        File.WriteAllText(SpecPath, Sweep);
        var (coordinator, address, _) = await StartCoordinatorAsync();
        var nodes = new[] { StartNode("node-a", address), StartNode("node-b", address) };
        // Completed means stored by the coordinator: a result it never acknowledged may rightly run again.
        await Task.WhenAny(nodes.Select(n => n.WaitForLineAsync(@"the result of (\w+) attempt \d+ is stored", Patience)));
        var completedBefore = nodes.SelectMany(n => n.Lines)
            .Select(l => Regex.Match(l, @"the result of (\w+) attempt \d+ is stored")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.NotEmpty(completedBefore);
        var startsBefore = nodes.Select(n => n.Lines.Count).ToArray();

        await coordinator.KillAsync();
        var port = address[(address.LastIndexOf(':') + 1)..];
        var (restarted, _, _) = await StartCoordinatorAsync(port);

        await restarted.WaitForLineAsync(@"sweep kill \(\w+\) finished", Patience);
        var trials = Trials();
        Assert.Equal(4, trials.Count);
        Assert.All(trials.Values, t => Assert.Equal(("completed", 120L), (t.State, t.Steps)));
        var startedAfter = nodes.SelectMany((n, i) => n.Lines.Skip(startsBefore[i]))
            .Select(l => Regex.Match(l, @"started (\w+) attempt")).Where(m => m.Success).Select(m => m.Groups[1].Value);
        Assert.Empty(startedAfter.Intersect(completedBefore));
        Assert.All(completedBefore, id => Assert.Equal(1, trials[id].Attempts));
    }
}
