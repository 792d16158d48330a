using System.CommandLine;
using Akka.Actor;
using ClusterTrain.Coordinator.Api;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.Shared;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>
/// <c>clustertrain coordinator [--port P] [--hostname H] [--out DIR] [--sweep SPEC]</c>: a coordinator member for a
/// multi-process or multi-machine cluster, serving until Ctrl-C or SIGTERM. Settings come from appsettings.json and
/// CLUSTERTRAIN_* environment variables (docs/configuration.md); the options win. With --sweep it submits the spec at
/// start (a stored sweep is found again and goes on) and, when that sweep ends, writes its reports to the output
/// folder and logs "sweep NAME (ID) finished".
/// </summary>
public static class CoordinatorCommand
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public static Command Build()
    {
        var port = new Option<int?>("--port") { Description = "TCP port (default from CLUSTERTRAIN_CLUSTER__PORT, else 0: a free one)." };
        var hostname = new Option<string?>("--hostname") { Description = "Address to bind (default 127.0.0.1)." };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Journal, checkpoints and reports (default runs/cluster)." };
        var sweep = new Option<FileInfo?>("--sweep") { Description = "Sweep spec to submit at start; its reports are written when it ends." };
        var apiPort = new Option<int?>("--api-port") { Description = "gRPC API port (default from CLUSTERTRAIN_API__PORT, else 5080; 0: a free one)." };
        var httpPort = new Option<int?>("--http-port") { Description = "Dashboard port (default from CLUSTERTRAIN_API__HTTPPORT, else 5081; 0: a free one)." };
        var command = new Command("coordinator", "Run the sweep coordinator member of a cluster; GPU nodes join it with `clustertrain node`.")
        {
            port, hostname, output, sweep, apiPort, httpPort,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(port), parse.GetValue(hostname), parse.GetValue(output), parse.GetValue(sweep),
            parse.GetValue(apiPort), parse.GetValue(httpPort)));
        return command;
    }

    private static async Task<int> RunAsync(int? port, string? hostname, DirectoryInfo? output, FileInfo? sweepFile, int? apiPort, int? httpPort)
    {
        var configuration = ClusterTrainConfiguration.Load();
        var cluster = ClusterTrainConfiguration.Cluster(configuration);
        var coordinator = ClusterTrainConfiguration.Coordinator(configuration);
        var persistence = ClusterTrainConfiguration.Persistence(configuration);
        var api = ClusterTrainConfiguration.Api(configuration);
        if (apiPort is { } a) api.Port = a;
        if (httpPort is { } h) api.HttpPort = h;
        if (port is { } p) cluster.Port = p;
        if (hostname is not null) cluster.Hostname = hostname;
        if (output is not null) coordinator.OutputFolder = output.FullName;
        var folder = Path.GetFullPath(coordinator.OutputFolder);
        if (string.IsNullOrWhiteSpace(coordinator.CheckpointRoot)) coordinator.CheckpointRoot = Path.Combine(folder, "checkpoints");

        SweepSpec? spec = null;
        var yaml = "";
        var problems = cluster.Check(ClusterRoles.Coordinator).Concat(coordinator.Check()).Concat(persistence.Check()).Concat(api.Check()).Select(x => x.ToString()).ToList();
        if (sweepFile is not null)
        {
            try
            {
                yaml = File.ReadAllText(sweepFile.FullName);
                spec = SweepFile.Load(sweepFile.FullName, new SweepLimits(coordinator.MaxTrialsPerSweep));
            }
            catch (ConfigException e) { problems.AddRange(e.Problems.Select(x => x.ToString())); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { problems.Add($"{sweepFile.FullName}: {e.Message}"); }
        }
        if (problems.Count > 0)
        {
            Console.Error.WriteLine($"error: the coordinator cannot start ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):");
            foreach (var problem in problems) Console.Error.WriteLine($"  {problem}");
            return ExitCodes.BadInput;
        }

        if (OutputFolder.Create(folder) is { } unusable)
        {
            Console.Error.WriteLine($"error: {unusable}");
            return ExitCodes.BadInput;
        }
        using var interrupt = new ConsoleInterrupt("coordinator stopping: leaving the cluster");
        await using var member = await ClusterHosts.StartCoordinatorAsync(cluster, coordinator, persistence, folder, AkkaLogLevel.InfoLevel, JoinTimeout);
        Console.WriteLine($"coordinator up at {member.Address}; output {folder}");
        ApiServer? server = null;
        if (api.Enabled)
        {
            try
            {
                server = await ApiServer.StartAsync(api, member.Coordinator, folder);
            }
            catch (ConfigException e)
            {
                foreach (var problem in e.Problems) Console.Error.WriteLine($"error: {problem}");
                return ExitCodes.BadInput;
            }
            Console.WriteLine($"api at {server.GrpcUrl} (gRPC), dashboard at {server.DashboardUrl}{(api.ResolveToken() is null ? "; no token: anyone who reaches these ports may use them" : "")}");
        }
        await using var apiServer = server;
        try
        {
            if (spec is not null)
            {
                var reply = await member.Coordinator.Ask<ISweepReply>(new SubmitSweep(yaml, sweepFile!.FullName), SweepClient.AskTimeout, interrupt.Token);
                if (reply is SweepRejected rejected)
                {
                    SweepClient.PrintProblems(sweepFile.Name, rejected.Problems);
                    return ExitCodes.BadInput;
                }
                var accepted = (SweepAccepted)reply;
                Console.WriteLine($"sweep {accepted.Name} ({accepted.SweepId}) {(accepted.AlreadyKnown ? "resumed" : "submitted")}: {SweepTable.SizeLine(spec)}");
                await ReportWhenFinishedAsync(member.Coordinator, spec, accepted, folder, interrupt.Token);
            }
            await Task.WhenAny(Task.Delay(Timeout.Infinite, interrupt.Token), member.Terminated);
        }
        catch (OperationCanceledException) when (interrupt.Token.IsCancellationRequested)
        {
        }
        Console.WriteLine("coordinator stopping");
        return interrupt.Token.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Success;
    }

    private static async Task ReportWhenFinishedAsync(IActorRef coordinator, SweepSpec spec, SweepAccepted sweep, string folder, CancellationToken cancellation)
    {
        while (true)
        {
            var status = await coordinator.Ask<SweepStatus>(new GetSweepStatus(sweep.SweepId, TrialLimit: 0), SweepClient.AskTimeout, cancellation);
            if (status.Counts.Finished) break;
            await Task.Delay(PollInterval, cancellation);
        }
        var report = await SweepClient.ReportAsync(coordinator, spec, sweep.SweepId);
        report.WriteTo(folder);
        Console.Write(report.FormatComparison());
        var c = report.Counts;
        Console.WriteLine($"sweep {sweep.Name} ({sweep.SweepId}) finished: {c.Completed} completed, {c.Diverged} diverged, {c.Failed} failed, {c.Cancelled} cancelled; reports in {folder}");
    }
}
