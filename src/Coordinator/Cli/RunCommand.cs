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

    public static Command Build()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Sweep spec (YAML)." };
        var nodes = new Option<int>("--nodes", "-n") { Description = "GPU-node members to start.", DefaultValueFactory = _ => 2 };
        var slots = new Option<int>("--slots-per-node") { Description = "Slots (concurrent trials) per node on CPU.", DefaultValueFactory = _ => 1 };
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

    private static async Task<int> RunAsync(FileInfo specFile, int nodeCount, int slotsPerNode, DirectoryInfo? output)
    {
        var problems = new List<string>();
        if (nodeCount < 1) problems.Add($"--nodes: {nodeCount} is not a positive number of nodes");
        if (slotsPerNode < 1) problems.Add($"--slots-per-node: {slotsPerNode} is not a positive number of slots");
        SweepSpec? spec = null;
        string yaml = "";
        try
        {
            yaml = File.ReadAllText(specFile.FullName);
            spec = SweepFile.Load(specFile.FullName);
        }
        catch (ConfigException e)
        {
            problems.AddRange(e.Problems.Select(p => p.ToString()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{specFile.FullName}: {e.Message}");
        }
        if (problems.Count > 0 || spec is null)
        {
            SweepClient.PrintProblems(specFile.Name, problems);
            return ExitCodes.BadInput;
        }

        var folder = output?.FullName ?? Path.GetFullPath(Path.Combine("runs", spec.Name));
        Directory.CreateDirectory(folder);
        using var interrupt = new ConsoleInterrupt();
        var shutdowns = new TrialShutdowns();
        var members = new List<ClusterHost>();
        try
        {
            var coordinator = await ClusterHosts.StartCoordinatorAsync(
                new ClusterOptions(), new CoordinatorOptions { CheckpointRoot = Path.Combine(folder, "checkpoints") },
                new PersistenceOptions(), folder, AkkaLogLevel.ErrorLevel, JoinTimeout);
            members.Add(coordinator);
            var threads = Math.Max(1, Environment.ProcessorCount / nodeCount);
            for (var i = 0; i < nodeCount; i++)
                members.Add(await ClusterHosts.StartNodeAsync(
                    new ClusterOptions { SeedNodes = [coordinator.Address.ToString()] },
                    new NodeOptions { Slots = slotsPerNode, Threads = threads },
                    TrialProcessOptions.CurrentProgram(), shutdowns, AkkaLogLevel.ErrorLevel, JoinTimeout));

            var reply = await coordinator.Coordinator.Ask<ISweepReply>(new SubmitSweep(yaml, specFile.FullName), SweepClient.AskTimeout);
            if (reply is SweepRejected rejected)
            {
                SweepClient.PrintProblems(specFile.Name, rejected.Problems);
                return ExitCodes.BadInput;
            }
            var accepted = (SweepAccepted)reply;
            Console.WriteLine($"sweep {accepted.Name} ({accepted.SweepId}): {SweepTable.SizeLine(spec)} on {nodeCount} node(s) x {slotsPerNode} slot(s)" +
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
            // Nodes first, so their trials stop (and checkpoint) while the coordinator still runs; the coordinator
            // once they have left, so that it sees them leave instead of losing their connections.
            await Task.WhenAll(members.Skip(1).Select(m => m.DisposeAsync().AsTask()));
            await shutdowns.WhenAllEndedAsync();
            if (members.Count > 0) await members[0].DisposeAsync();
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
