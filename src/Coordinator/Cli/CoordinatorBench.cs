using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Benchmarks;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.Cluster;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>
/// <c>clustertrain bench coordinator</c>: the coordinator's overhead at scale (issue 3, section 8). A real coordinator
/// member (singleton, SQLite journal in a temporary folder) and simulated GPU-node members over loopback remoting run a
/// generated sweep of N trials, each of which sleeps <c>--trial-seconds</c> while sending the real messages and
/// statistics payloads; the report compares the wall time with the ideal ceil(trials / slots) x trial seconds.
/// Each simulated node is its own member (its own actor system), as the coordinator tells nodes apart by member
/// address; <c>--node-processes</c> moves them out of the coordinator's process so that its memory is its own.
/// </summary>
internal static class CoordinatorBench
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan SlowPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FastPoll = TimeSpan.FromMilliseconds(20);

    public static Command Command()
    {
        var trials = Count("--trials", "Trials in the generated sweep.", 1000);
        var nodes = Count("--nodes", "Simulated GPU-node members.", 2);
        var slots = Count("--slots-per-node", "Slots per node.", 8);
        var seconds = new Option<double>("--trial-seconds") { Description = "How long each simulated trial trains (sleeps).", DefaultValueFactory = _ => 1.0 };
        seconds.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError($"--trial-seconds must be positive, got {r.GetValueOrDefault<double>()}."); });
        var steps = Count("--steps", "Steps per trial (max_steps), spread evenly over the trial's time.", 20);
        var every = Count("--stats-every", "A gradient snapshot (every layer of ResNet-20, with histograms) at step 0 and every N steps.", 10);
        var processes = new Option<int>("--node-processes")
        {
            Description = "Child processes hosting the nodes (0: in this process, sharing its memory with the coordinator).",
            DefaultValueFactory = _ => 0,
        };
        processes.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError($"--node-processes must be 0 or more, got {r.GetValueOrDefault<int>()}."); });
        var command = new Command("coordinator",
            "Coordinator overhead: a real coordinator and simulated nodes (trials sleep while sending real messages) run a sweep of N trials; " +
            "wall time against the ideal, assignments per second, coordinator memory.")
        {
            trials, nodes, slots, seconds, steps, every, processes,
        };
        command.SetAction((parse, cancellation) => RunAsync(new Settings(parse.GetValue(trials), parse.GetValue(nodes), parse.GetValue(slots),
            parse.GetValue(seconds), parse.GetValue(steps), parse.GetValue(every), parse.GetValue(processes)), CommandLineOf(parse)));
        return command;
    }

    /// <summary>The child process of <c>--node-processes</c>: simulated node members until its stdin closes or SIGTERM.</summary>
    public static Command NodesCommand()
    {
        var seed = new Option<string>("--seed-node") { Description = "The coordinator's address.", Required = true };
        var count = Count("--count", "Node members to start.", 1);
        var slots = Count("--slots", "Slots per node.", 8);
        var seconds = new Option<double>("--trial-seconds") { Description = "How long each simulated trial sleeps.", Required = true };
        var command = new Command("simulated-nodes", "Internal: simulated GPU-node members for bench coordinator.") { seed, count, slots, seconds };
        command.Hidden = true;
        command.SetAction((parse, _) => ServeNodesAsync(parse.GetValue(seed)!, parse.GetValue(count), parse.GetValue(slots), parse.GetValue(seconds)));
        return command;
    }

    private sealed record Settings(int Trials, int Nodes, int SlotsPerNode, double TrialSeconds, int Steps, int StatsEvery, int NodeProcesses)
    {
        public int Slots => Nodes * SlotsPerNode;

        public double IdealSeconds => Math.Ceiling((double)Trials / Slots) * TrialSeconds;

        public long SnapshotsPerTrial => (Steps + StatsEvery - 1) / StatsEvery;
    }

    private static Option<int> Count(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = $"{description} Default {defaultValue}.", DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{name} must be at least 1, got {r.GetValueOrDefault<int>()}."); });
        return option;
    }

    private static string CommandLineOf(ParseResult parse) =>
        "clustertrain " + string.Join(" ", parse.Tokens.Select(t => t.Value));

    /// <summary>The generated sweep: one ResNet-20 configuration, repeated with seeds 0..N-1.</summary>
    private static string SweepYaml(Settings s) => $$"""
        name: bench-coordinator
        data: { kind: synthetic }
        fixed: { model.family: cifar-resnet, model.depth: 20, max_steps: {{s.Steps}}, epochs: 1 }
        repeats: {{s.Trials}}
        stats: { every: {{s.StatsEvery}}, histogram_bins: 32 }
        """;

    private static NodeOptions SimulatedNode(int slots, double seconds) =>
        new() { Slots = slots, Threads = slots, SimulatedTrialSeconds = seconds };

    private static async Task<int> RunAsync(Settings s, string commandLine)
    {
        var folder = Directory.CreateTempSubdirectory("clustertrain-bench-").FullName;
        var loadBefore = LoadAverage();
        var members = new List<ClusterHost>();
        var children = new List<Process>();
        ClusterHost? coordinator = null;
        try
        {
            Console.Error.WriteLine($"starting a coordinator (journal {folder}) and {s.Nodes} simulated node(s) x {s.SlotsPerNode} slot(s) ...");
            coordinator = await ClusterHosts.StartCoordinatorAsync(
                new ClusterOptions(), new CoordinatorOptions { CheckpointRoot = Path.Combine(folder, "checkpoints"), MaxTrialsPerSweep = s.Trials },
                new PersistenceOptions(), folder, AkkaLogLevel.ErrorLevel, JoinTimeout);
            var seed = coordinator.Address.ToString();
            if (s.NodeProcesses == 0)
            {
                // A few at a time: a hundred members joining at once slow the join gossip down on two cores.
                foreach (var batch in Enumerable.Range(0, s.Nodes).Chunk(10))
                    members.AddRange(await Task.WhenAll(batch.Select(_ => ClusterHosts.StartNodeAsync(
                        new ClusterOptions { SeedNodes = [seed] }, SimulatedNode(s.SlotsPerNode, s.TrialSeconds),
                        TrialProcessOptions.CurrentProgram(), new TrialShutdowns(), AkkaLogLevel.ErrorLevel, JoinTimeout))));
            }
            else
            {
                // One process's nodes at a time: all of them joining at once starve the Akka.Remote handshakes of
                // CPU on two cores (measured: 80 of 100 nodes had joined after 3 min, the rest timed out).
                var processes = Math.Min(s.NodeProcesses, s.Nodes);
                var started = 0;
                for (var p = 0; p < processes; p++)
                {
                    var count = s.Nodes / processes + (p < s.Nodes % processes ? 1 : 0);
                    children.Add(StartNodesProcess(seed, count, s.SlotsPerNode, s.TrialSeconds));
                    await AwaitNodesAsync(coordinator, started += count, children);
                }
            }
            await AwaitNodesAsync(coordinator, s.Nodes, children);

            var self = Process.GetCurrentProcess();
            GC.Collect();
            var heapBefore = GC.GetTotalMemory(forceFullCollection: false);
            self.Refresh();
            var workingSetBefore = self.WorkingSet64;

            Console.Error.WriteLine($"submitting {s.Trials} trials of {s.TrialSeconds.ToString(Invariant)} s on {s.Slots} slots " +
                $"(ideal {s.IdealSeconds.ToString("F1", Invariant)} s) ...");
            var clock = Stopwatch.StartNew();
            var reply = await coordinator.Coordinator.Ask<ISweepReply>(new SubmitSweep(SweepYaml(s), "bench-coordinator.yaml", folder), TimeSpan.FromMinutes(5));
            if (reply is SweepRejected rejected)
            {
                SweepClient.PrintProblems("the generated sweep", rejected.Problems);
                return ExitCodes.BadInput;
            }
            var sweepId = ((SweepAccepted)reply).SweepId;
            var acceptedAfter = clock.Elapsed;

            var peakWorkingSet = workingSetBefore;
            var lastReport = TimeSpan.Zero;
            SweepCounts counts;
            while (true)
            {
                counts = (await coordinator.Coordinator.Ask<SweepStatus>(new GetSweepStatus(sweepId, 0, 0), SweepClient.AskTimeout)).Counts;
                if (counts.Finished) break;
                self.Refresh();
                peakWorkingSet = Math.Max(peakWorkingSet, self.WorkingSet64);
                if (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(10))
                {
                    lastReport = clock.Elapsed;
                    Console.Error.WriteLine($"  {clock.Elapsed.TotalSeconds,7:F1} s: {counts.Completed} completed, {counts.Running} running, {counts.Pending} pending");
                }
                // Polling costs the coordinator a pass over every trial, so it is slow until the last round of trials,
                // then fast, so that the end is seen within a few tens of milliseconds.
                await Task.Delay(counts.Pending > 0 ? SlowPoll : FastPoll);
            }
            var wall = clock.Elapsed;
            var loadAfter = LoadAverage();

            var gradients = await coordinator.Coordinator.Ask<SweepGradients>(new GetSweepGradients(sweepId), TimeSpan.FromMinutes(5));
            var snapshots = gradients.Trials.Values.Sum(t => (long)t.Count);
            var heapAfter = GC.GetTotalMemory(forceFullCollection: false);
            self.Refresh();
            var workingSetAfter = self.WorkingSet64;
            peakWorkingSet = Math.Max(peakWorkingSet, Math.Max(workingSetAfter, self.PeakWorkingSet64));
            GC.Collect();
            var heapLive = GC.GetTotalMemory(forceFullCollection: true);

            var overhead = wall.TotalSeconds / s.IdealSeconds - 1;
            var where = s.NodeProcesses == 0
                ? "the nodes run in this process: the memory below is the coordinator's and the nodes' together"
                : $"the nodes run in {children.Count} child process(es): the memory below is the coordinator member's alone";
            Console.WriteLine($"{commandLine}  [{Environment.ProcessorCount} cores ({MachineInfo.ReadCpuModel()}), .NET {Environment.Version}]");
            Console.WriteLine($"load average (1, 5, 15 min): before {loadBefore}, after {loadAfter}");
            Console.WriteLine($"{s.Trials} trials of {Text(s.TrialSeconds)} s ({s.Steps} steps, statistics every {s.StatsEvery}) on {s.Nodes} node(s) x {s.SlotsPerNode} slot(s) = {s.Slots} slots; {where}");
            Console.WriteLine();
            Console.WriteLine($"completed:            {counts.Completed} of {counts.Total} ({counts.Failed} failed, {counts.Diverged} diverged, {counts.Cancelled} cancelled)");
            Console.WriteLine($"statistics stored:    {snapshots} snapshots (expected {s.Trials * s.SnapshotsPerTrial})");
            Console.WriteLine($"wall time:            {wall.TotalSeconds.ToString("F2", Invariant)} s (submit to last result; the sweep was accepted after {acceptedAfter.TotalSeconds.ToString("F2", Invariant)} s)");
            Console.WriteLine($"ideal minimum:        {s.IdealSeconds.ToString("F2", Invariant)} s (ceil({s.Trials} / {s.Slots}) x {Text(s.TrialSeconds)} s)");
            Console.WriteLine($"overhead:             {(overhead * 100).ToString("+0.00;-0.00", Invariant)}%");
            Console.WriteLine($"assignments/s:        {(s.Trials / wall.TotalSeconds).ToString("F1", Invariant)} (ideal {(s.Slots / s.TrialSeconds).ToString("F1", Invariant)})");
            Console.WriteLine($"GC heap:              {Mib(heapBefore)} MiB before the sweep, {Mib(heapAfter)} MiB at its end, {Mib(heapLive)} MiB live after a full collection");
            Console.WriteLine($"working set:          {Mib(workingSetBefore)} MiB before the sweep, {Mib(workingSetAfter)} MiB at its end, {Mib(peakWorkingSet)} MiB peak");
            return counts.Completed == s.Trials ? ExitCodes.Success : ExitCodes.TrialsFailed;
        }
        finally
        {
            foreach (var child in children) StopChild(child);
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
            if (coordinator is not null) await coordinator.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"warning: could not delete {folder}: {e.Message}");
            }
        }
    }

    /// <summary>Waits until the coordinator's member sees every node member Up; a child process that dies ends the wait.</summary>
    private static async Task AwaitNodesAsync(ClusterHost coordinator, int nodes, IReadOnlyList<Process> children)
    {
        var cluster = Akka.Cluster.Cluster.Get(coordinator.System);
        var clock = Stopwatch.StartNew();
        while (cluster.State.Members.Count(m => m.Status == MemberStatus.Up && m.HasRole(ClusterRoles.Gpu)) < nodes)
        {
            if (children.FirstOrDefault(c => c.HasExited) is { } dead)
                throw new InvalidOperationException($"a node process ended with exit code {dead.ExitCode} before its nodes joined");
            if (clock.Elapsed > JoinTimeout)
                throw new TimeoutException($"only {cluster.State.Members.Count(m => m.HasRole(ClusterRoles.Gpu))} of {nodes} nodes joined within {JoinTimeout.TotalMinutes} min");
            await Task.Delay(200);
        }
    }

    private static Process StartNodesProcess(string seed, int count, int slots, double seconds)
    {
        var program = TrialProcessOptions.CurrentProgram();
        var start = new ProcessStartInfo(program.FileName) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var argument in program.PrefixArguments) start.ArgumentList.Add(argument);
        foreach (var argument in new[]
                 {
                     "bench", "simulated-nodes", "--seed-node", seed, "--count", count.ToString(Invariant),
                     "--slots", slots.ToString(Invariant), "--trial-seconds", seconds.ToString("R", Invariant),
                 })
            start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException($"'{program.FileName}' did not start");
    }

    /// <summary>Closing its stdin asks the child to leave; it is killed if it has not after a while.</summary>
    private static void StopChild(Process child)
    {
        try
        {
            child.StandardInput.Close();
            if (!child.WaitForExit(TimeSpan.FromSeconds(30))) child.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has already ended.
        }
        child.Dispose();
    }

    private static async Task<int> ServeNodesAsync(string seed, int count, int slots, double seconds)
    {
        using var interrupt = new ConsoleInterrupt();
        var members = new List<ClusterHost>();
        try
        {
            foreach (var batch in Enumerable.Range(0, count).Chunk(10))
                members.AddRange(await Task.WhenAll(batch.Select(_ => ClusterHosts.StartNodeAsync(
                    new ClusterOptions { SeedNodes = [seed] }, SimulatedNode(slots, seconds),
                    TrialProcessOptions.CurrentProgram(), new TrialShutdowns(), AkkaLogLevel.ErrorLevel, JoinTimeout))));
            var stdinClosed = Task.Run(() => Console.In.ReadToEnd());
            await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, interrupt.Token).ContinueWith(_ => { }, TaskScheduler.Default));
            return ExitCodes.Success;
        }
        finally
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F0", Invariant);

    private static string Text(double value) => value.ToString("0.###", Invariant);
}
