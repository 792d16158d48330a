using System.CommandLine;
using Akka.Actor;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.Coordinator.Reports;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>
/// <c>clustertrain run SPEC [--nodes N] [--slots-per-node S] [--out DIR]</c>: the embedded cluster. A coordinator and
/// N GPU nodes, each its own actor system joined over real remoting on 127.0.0.1, run the sweep to its end with the
/// journal in the output folder; then the reports are written and the comparison printed. The same command on the
/// same folder resumes: the stored sweep is found again, and completed trials are not run again.
/// </summary>
public static class RunCommand
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(20);

    public static Command Build()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Sweep spec (YAML)." };
        var nodes = new Option<int>("--nodes", "-n") { Description = "GPU-node members to start.", DefaultValueFactory = _ => 2 };
        var slots = new Option<int?>("--slots-per-node") { Description = "Slots (concurrent trials) per node on CPU (default CLUSTERTRAIN_NODE__SLOTS, else 1)." };
        var output = new Option<DirectoryInfo?>("--out", "-o")
        {
            Description = "Output folder: journal (clustertrain.db), checkpoints, and the report (index.html, plots, trials.csv, gradstats.csv, curves.csv, summary.json, tensorboard/). Default runs/<sweep name>.",
        };
        var command = new Command("run", "Run a sweep on a local cluster of a coordinator and N GPU nodes; the same command resumes it.")
        {
            spec, nodes, slots, output,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(spec)!, parse.GetValue(nodes), parse.GetValue(slots), parse.GetValue(output)));
        return command;
    }

    /// <summary>The settings of an embedded cluster: appsettings.json and CLUSTERTRAIN_* variables where they make sense on one machine.</summary>
    private sealed record Settings(ClusterOptions Cluster, CoordinatorOptions Coordinator, PersistenceOptions Persistence, NodeOptions Node);

    /// <summary>
    /// Reads the settings <c>coordinator</c> and <c>node</c> read, then fixes what an embedded cluster decides itself:
    /// loopback addresses on free ports, the nodes joining the coordinator, the checkpoints reached at one path.
    /// </summary>
    private static Settings ReadSettings(int nodeCount, int? slotsPerNode, List<string> problems)
    {
        var settings = new Settings(new ClusterOptions(), new CoordinatorOptions(), new PersistenceOptions(), new NodeOptions());
        try
        {
            var configuration = ClusterTrainConfiguration.Load();
            settings = new Settings(ClusterTrainConfiguration.Cluster(configuration), ClusterTrainConfiguration.Coordinator(configuration),
                ClusterTrainConfiguration.Persistence(configuration), ClusterTrainConfiguration.Node(configuration));
        }
        catch (ConfigException e)
        {
            problems.AddRange(e.Problems.Select(ClusterTrainConfiguration.Describe));
            return settings;
        }
        var (cluster, coordinator, persistence, node) = settings;
        cluster.Hostname = "127.0.0.1";
        cluster.PublicHostname = null;
        cluster.Port = 0;
        cluster.SeedNodes = [];
        node.CheckpointRoot = null;
        if (slotsPerNode is not null) node.Slots = slotsPerNode;
        node.Slots ??= 1;
        if (node.Threads == 0) node.Threads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, nodeCount));
        // Checked with a stand-in folder: the real default (OUT/checkpoints) needs the spec's name.
        var checkpointRoot = coordinator.CheckpointRoot;
        if (string.IsNullOrWhiteSpace(checkpointRoot)) coordinator.CheckpointRoot = "checkpoints";
        problems.AddRange(cluster.Check(ClusterRoles.Coordinator).Concat(coordinator.Check()).Concat(persistence.Check())
            .Concat(node.Check().Where(p => slotsPerNode is null || !p.Path.EndsWith(":" + nameof(NodeOptions.Slots))))
            .Select(ClusterTrainConfiguration.Describe));
        coordinator.CheckpointRoot = checkpointRoot;
        return settings;
    }

    private static async Task<int> RunAsync(FileInfo specFile, int nodeCount, int? slotsPerNode, DirectoryInfo? output)
    {
        var problems = new List<string>();
        if (nodeCount < 1) problems.Add($"--nodes: {nodeCount} is not a positive number of nodes");
        if (slotsPerNode < 1) problems.Add($"--slots-per-node: {slotsPerNode} is not a positive number of slots");
        var settings = ReadSettings(nodeCount, slotsPerNode, problems);
        var specProblems = new List<string>();
        SweepSpec? spec = null;
        string yaml = "";
        try
        {
            yaml = File.ReadAllText(specFile.FullName);
            spec = SweepFile.Load(specFile.FullName, new SweepLimits(Math.Max(1, settings.Coordinator.MaxTrialsPerSweep)));
        }
        catch (ConfigException e)
        {
            specProblems.AddRange(e.Problems.Select(p => p.ToString()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            specProblems.Add($"{specFile.FullName}: {e.Message}");
        }
        if (problems.Count > 0)
        {
            Console.Error.WriteLine($"error: the run cannot start ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):");
            foreach (var problem in problems) Console.Error.WriteLine($"  {problem}");
        }
        if (specProblems.Count > 0) SweepClient.PrintProblems(specFile.Name, specProblems);
        if (problems.Count > 0 || specProblems.Count > 0 || spec is null) return ExitCodes.BadInput;

        var folder = output?.FullName ?? Path.GetFullPath(Path.Combine("runs", spec.Name));
        if (OutputFolder.Create(folder) is { } unusable)
        {
            Console.Error.WriteLine($"error: {unusable}");
            return ExitCodes.BadInput;
        }
        var (cluster, coordinatorOptions, persistence, node) = settings;
        if (string.IsNullOrWhiteSpace(coordinatorOptions.CheckpointRoot)) coordinatorOptions.CheckpointRoot = Path.Combine(folder, "checkpoints");
        using var interrupt = new ConsoleInterrupt();
        var shutdowns = new TrialShutdowns();
        var members = new List<ClusterHost>();
        string? sweepId = null;
        try
        {
            var coordinator = await ClusterHosts.StartCoordinatorAsync(
                cluster, coordinatorOptions, persistence, folder, AkkaLogLevel.ErrorLevel, JoinTimeout);
            members.Add(coordinator);
            var nodeCluster = ClusterOptionsJoining(cluster, coordinator.Address);
            for (var i = 0; i < nodeCount; i++)
                members.Add(await ClusterHosts.StartNodeAsync(
                    nodeCluster, node, TrialProcessOptions.CurrentProgram(), shutdowns, AkkaLogLevel.ErrorLevel, JoinTimeout));

            var reply = await coordinator.Coordinator.Ask<ISweepReply>(new SubmitSweep(yaml, specFile.FullName), SweepClient.AskTimeout);
            if (reply is SweepRejected rejected)
            {
                SweepClient.PrintProblems(specFile.Name, rejected.Problems);
                return ExitCodes.BadInput;
            }
            var accepted = (SweepAccepted)reply;
            sweepId = accepted.SweepId;
            Console.WriteLine($"sweep {accepted.Name} ({accepted.SweepId}): {SweepTable.SizeLine(spec)} on {nodeCount} node(s) x {node.Slots} slot(s)" +
                (accepted.AlreadyKnown ? ", resuming the stored sweep" : "") + $"; output {folder}");

            var finished = await FollowAsync(coordinator.Coordinator, accepted, interrupt.Token);
            if (!finished)
            {
                Console.Error.WriteLine("stopping: the running trials write their checkpoints; run the same command to resume.");
                return ExitCodes.Interrupted;
            }
            var report = await SweepClient.ReportAsync(coordinator.Coordinator, spec, accepted.SweepId);
            var written = report.WriteTo(folder);
            Console.WriteLine();
            Console.Write(report.FormatComparison());
            Console.WriteLine($"{report.Counts.Completed} completed, {report.Counts.Diverged} diverged, {report.Counts.Failed} failed, {report.Counts.Cancelled} cancelled; " +
                $"wrote the report ({written.Count} files) to {folder}: open {Path.Combine(folder, ReportPage.FileName)}");
            return SweepClient.ExitCodeOf(report.Counts);
        }
        finally
        {
            await StopAsync(members, shutdowns, sweepId, node.StopGrace + NodeHosting.StopMargin + LeaveTimeout);
        }
    }

    private static ClusterOptions ClusterOptionsJoining(ClusterOptions cluster, Akka.Actor.Address coordinator) => new()
    {
        SystemName = cluster.SystemName,
        Hostname = cluster.Hostname,
        Port = 0,
        SeedNodes = [coordinator.ToString()],
        Roles = cluster.Roles,
        AcceptableHeartbeatPause = cluster.AcceptableHeartbeatPause,
        HeartbeatInterval = cluster.HeartbeatInterval,
        DowningStableAfter = cluster.DowningStableAfter,
    };

    /// <summary>
    /// The nodes leave on purpose, all at once, while the coordinator still runs (it gives leaving nodes no new work):
    /// each stops its trials, which write their checkpoints, before it is removed (NodeHosting.AddGpuNode), and the
    /// coordinator then requeues them without counting the attempts. Once it has stored that, the nodes' actor systems
    /// stop, and then the coordinator, which no member needs any more.
    /// </summary>
    /// <param name="leaveTimeout">How long the nodes may take to leave, their trials' stop included.</param>
    private static async Task StopAsync(List<ClusterHost> members, TrialShutdowns shutdowns, string? sweepId, TimeSpan leaveTimeout)
    {
        if (members.Count == 0) return;
        var (coordinator, nodes) = (members[0], members.Skip(1).ToList());
        await Task.WhenAll(nodes.Select(n => n.LeaveAsync(leaveTimeout)));
        if (sweepId is not null) await AwaitNothingRunningAsync(coordinator.Coordinator, sweepId);
        foreach (var n in nodes) await n.DisposeAsync();
        await shutdowns.WhenAllEndedAsync();
        await coordinator.DisposeAsync();
    }

    /// <summary>Waits, a bounded time, until the coordinator has stored that no trial of the sweep runs any more.</summary>
    private static async Task AwaitNothingRunningAsync(IActorRef coordinator, string sweepId)
    {
        using var patience = new CancellationTokenSource(LeaveTimeout);
        try
        {
            while ((await coordinator.Ask<SweepStatus>(new GetSweepStatus(sweepId, TrialLimit: 0), SweepClient.AskTimeout, patience.Token)).Counts.Running > 0)
                await Task.Delay(PollInterval, patience.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or AskTimeoutException)
        {
            // The next run recovers the attempts anyway, counting those whose loss was not stored.
        }
    }

    /// <summary>Shows progress until the sweep ends (true) or Ctrl-C (false).</summary>
    private static async Task<bool> FollowAsync(IActorRef coordinator, SweepAccepted sweep, CancellationToken cancellation)
    {
        using var display = SweepProgressDisplay.Create(sweep.Name);
        try
        {
            while (true)
            {
                var (counts, trials) = await SweepClient.StatusAsync(coordinator, sweep.SweepId, cancellation);
                display.Show(counts, trials);
                if (counts.Finished) return true;
                await Task.Delay(PollInterval, cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return false;
        }
    }
}
