using System.Text.RegularExpressions;
using ClusterTrain.GpuNode.Training;
using Xunit.Abstractions;

namespace ClusterTrain.Cli.Tests.Cluster;

/// <summary>
/// A GPU node stopped with SIGTERM (a scale-down) while it trains, as real processes on loopback: its trial must stop
/// and write its checkpoint before the node leaves the cluster, so that the next attempt, on the other node, starts
/// from that checkpoint and no two attempts of the trial ever train into its checkpoint folder at once.
/// </summary>
[Trait("Category", "Process")]
public sealed class NodeStopTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Guards against a hang only; no assertion depends on how fast anything is.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly string _folder = ClusterTrainProcess.TempFolder();
    private readonly List<MemberProcess> _members = [];
    private int? _heldWorker;

    /// <summary>One tiny trial, checkpointing every 5 steps, that may be attempted only once: a counted stop fails it.</summary>
    private const string Sweep = """
        name: drain
        data: { kind: synthetic, synthetic_train_size: 64, synthetic_test_size: 16 }
        fixed: { model.family: cifar-resnet, model.depth: 8, model.base_width: 8, batch_size: 16, max_steps: 200, epochs: 100 }
        seeds: [0]
        stats: { every: 50, histogram_bins: 8 }
        resources: { cpu_threads_per_trial: 1 }
        retries: { max_attempts: 1 }
        checkpoint_every: 5
        """;

    private string Out => Path.Combine(_folder, "out");

    public void Dispose()
    {
        if (_heldWorker is { } held) MemberProcess.SendSignalAsync("-CONT", held).Wait();
        foreach (var member in _members) member.DisposeAsync().AsTask().Wait();
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task A_node_stopped_with_SIGTERM_checkpoints_its_trial_before_it_leaves_and_the_next_attempt_resumes_from_that_checkpoint()
    {
        var specPath = Path.Combine(_folder, "drain.yaml");
        File.WriteAllText(specPath, Sweep);
        var coordinator = Start("coordinator", "coordinator", "--port", "0", "--out", Out, "--sweep", specPath);
        var seed = (await coordinator.WaitForLineAsync(@"coordinator up at (\S+);", Patience)).Groups[1].Value;
        var sweepId = (await coordinator.WaitForLineAsync(@"sweep drain \((\w+)\) submitted", Patience)).Groups[1].Value;
        var victim = Start("node-a", "node", "--seed-nodes", seed, "--slots", "1");
        var trialId = (await victim.WaitForLineAsync(@"started (\w+) attempt 1", Patience)).Groups[1].Value;
        var survivor = Start("node-b", "node", "--seed-nodes", seed, "--slots", "1");
        await survivor.WaitForLineAsync("node up at", Patience);
        var checkpointFolder = Path.Combine(Out, "checkpoints", sweepId, trialId);
        using (var guard = new CancellationTokenSource(Patience))
            while (!File.Exists(Checkpoint.PathIn(checkpointFolder))) await Task.Delay(20, guard.Token);
        // The worker is held (SIGSTOP) the way a long training step or a slow checkpoint write holds it: it can write
        // nothing until released, so the order of events is decided by the node, not by how fast the machine is.
        var worker = TrialWorkerOf(victim);
        await MemberProcess.SendSignalAsync("-STOP", worker);
        _heldWorker = worker;
        var periodic = Checkpoint.TryReadState(checkpointFolder)!.Step;

        await victim.SendTerminateAsync();
        // Released once the node says it stops its trials, or once the next attempt has started anyway.
        var resumedPattern = $@"{trialId} attempt 2 training, resumed from step (\d+)";
        await Task.WhenAny(victim.WaitForLineAsync(@"Stopping \d+ trial\(s\) before this node leaves the cluster", Patience),
            survivor.WaitForLineAsync(resumedPattern, Patience));
        var startedWhileHeld = survivor.Lines.Any(l => l.Contains($"started {trialId} attempt 2"));
        await MemberProcess.SendSignalAsync("-CONT", worker);
        _heldWorker = null;
        using (var guard = new CancellationTokenSource(Patience))
            while (Directory.Exists($"/proc/{worker}")) await Task.Delay(20, guard.Token);
        var startedBeforeWorkerEnded = survivor.Lines.Any(l => l.Contains($"started {trialId} attempt 2"));
        var interrupted = Checkpoint.TryReadState(checkpointFolder)!.Step;

        var resumed = long.Parse((await survivor.WaitForLineAsync(resumedPattern, Patience)).Groups[1].Value);
        await coordinator.WaitForLineAsync(@"sweep drain \(\w+\) finished", Patience);
        var victimExit = await victim.WaitForExitAsync(Patience);
        output.WriteLine($"checkpoint at step {periodic} when node A was stopped, at step {interrupted} when its worker ended; attempt 2 resumed from step {resumed}");
        Assert.False(startedWhileHeld || startedBeforeWorkerEnded, 
            $"attempt 2 of {trialId} started on node B, from step {resumed}, while attempt 1 still ran on node A (it then wrote step {interrupted})");
        Assert.True(interrupted >= periodic && interrupted > 0, $"the checkpoint went from step {periodic} to {interrupted}");
        Assert.Equal(interrupted, resumed);
        var row = File.ReadAllLines(Path.Combine(Out, "trials.csv"))[1];
        // Two attempts started, and with max_attempts 1 the trial completes only if the stop did not count.
        Assert.Contains(",completed,2,200,", row);
        Assert.Single(survivor.Lines, l => l.Contains($"started {trialId} attempt"));
        Assert.Equal(130, victimExit);
    }

    private MemberProcess Start(string name, params string[] args)
    {
        var member = MemberProcess.Start(name, _folder, args);
        _members.Add(member);
        return member;
    }

    /// <summary>The trial-worker child process of a node (there is one: the node has one slot).</summary>
    private static int TrialWorkerOf(MemberProcess node)
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                // pid (comm) state ppid ...: the command name may hold spaces and parentheses.
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                if (parent == node.Id && File.ReadAllText(Path.Combine(folder, "cmdline")).Contains("trial-worker")) return pid;
            }
            catch (IOException)
            {
                // It ended while being read.
            }
        }
        throw new InvalidOperationException($"{node.Name} runs no trial-worker process; its last lines:\n{string.Join('\n', node.Lines.TakeLast(20))}");
    }
}
