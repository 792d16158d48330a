using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClusterTrain.Api.V1;
using ClusterTrain.Coordinator.Api;
using Google.Protobuf;
using Grpc.Core;
using Core = ClusterTrain.Shared.Cluster;

namespace ClusterTrain.Coordinator.Cli.Remote;

/// <summary>
/// <c>clustertrain submit|status|watch|cancel|report</c>: a remote coordinator's gRPC API (clustertrain_api.proto).
/// Exit codes: 0 success (watch: every trial completed), 1 some trials failed, diverged or were cancelled, 2 bad
/// input (spec, options, token, unknown sweep), 3 the coordinator cannot be reached, 130 interrupted.
/// </summary>
public static class RemoteCommands
{
    /// <summary>How long a broken watch stream is retried, resuming from the last event it received.</summary>
    private static readonly TimeSpan ReconnectFor = TimeSpan.FromSeconds(60);

    private static readonly JsonFormatter ProtoJson = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static IEnumerable<Command> Build() => [Submit(), Status(), Watch(), Cancel(), Report()];

    private static Command Submit()
    {
        var options = new RemoteOptions();
        var spec = new Argument<FileInfo>("spec") { Description = "Sweep spec (YAML); the coordinator validates it and reports every problem." };
        var watch = new Option<bool>("--watch", "-w") { Description = "Then follow its progress until it ends, as `watch` does." };
        var command = new Command("submit", "Submit a sweep to a coordinator; prints its id (the same spec submitted again is the same sweep).") { spec, watch };
        options.AddTo(command);
        command.SetAction((parse, _) => RemoteConnection.RunAsync(options, parse, async (remote, cancellation) =>
        {
            var file = parse.GetValue(spec)!;
            if (!file.Exists) throw new RemoteInputException($"{file.FullName} does not exist");
            var reply = await remote.Client.SubmitSweepAsync(
                new SubmitSweepRequest { SpecYaml = await File.ReadAllTextAsync(file.FullName, cancellation), SourceName = file.Name },
                remote.Headers, cancellationToken: cancellation);
            if (remote.Json) Console.WriteLine(ProtoJson.Format(reply));
            if (reply.Problems.Count > 0)
            {
                if (!remote.Json) SweepClient.PrintProblems(file.Name, reply.Problems);
                return ExitCodes.BadInput;
            }
            if (!remote.Json)
                Console.WriteLine($"sweep {reply.Name} ({reply.SweepId}) {(reply.AlreadyKnown ? await AlreadyKnownAsync(remote, reply.SweepId, cancellation) : "submitted")}: {reply.TrialCount} trials");
            return parse.GetValue(watch) ? await WatchAsync(remote, reply.SweepId, 0, cancellation) : ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>What submitting a known sweep again did: its ids come from the spec, so an ended sweep stays ended.</summary>
    private static async Task<string> AlreadyKnownAsync(RemoteConnection remote, string sweepId, CancellationToken cancellation)
    {
        var sweep = (await remote.Client.GetSweepAsync(new GetSweepRequest { SweepId = sweepId, TrialLimit = 1 }, remote.Headers,
            cancellationToken: cancellation)).Sweep;
        if (!sweep.Finished) return "was already submitted; it goes on";
        var c = sweep.Counts;
        return $"was already submitted and has ended{(sweep.Cancelled ? " (cancelled)" : "")}: {c.Completed} completed, {c.Diverged} diverged, " +
            $"{c.Failed} failed, {c.Cancelled} cancelled; nothing runs again (the sweep's id comes from its spec: change its name to run it anew)";
    }

    private static Command Status()
    {
        var options = new RemoteOptions();
        var sweep = new Argument<string?>("sweep") { Description = "Sweep id; without it, every sweep with its counts.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("status", "Show a sweep's trials (state, attempts, progress, result), or list every sweep.") { sweep };
        options.AddTo(command);
        command.SetAction((parse, _) => RemoteConnection.RunAsync(options, parse, async (remote, cancellation) =>
        {
            if (parse.GetValue(sweep) is not { } sweepId)
            {
                var list = await remote.Client.ListSweepsAsync(new ListSweepsRequest(), remote.Headers, cancellationToken: cancellation);
                if (remote.Json)
                {
                    Console.WriteLine(ProtoJson.Format(list));
                    return ExitCodes.Success;
                }
                var table = new TextTable("sweep", "name", "state", "trials", "running", "pending", "completed", "diverged", "failed", "cancelled");
                foreach (var s in list.Sweeps)
                    table.Add(s.SweepId, s.Name, s.Cancelled ? "cancelled" : s.Finished ? "finished" : "running", N(s.Counts.Total), N(s.Counts.Running),
                        N(s.Counts.Pending), N(s.Counts.Completed), N(s.Counts.Diverged), N(s.Counts.Failed), N(s.Counts.Cancelled));
                Console.Write(list.Sweeps.Count == 0 ? "no sweeps\n" : table.Render(markdown: false));
                return ExitCodes.Success;
            }
            var (summary, trials) = await SweepAsync(remote, sweepId, cancellation);
            if (remote.Json)
            {
                var reply = new GetSweepReply { Sweep = summary, Trials = { trials } };
                Console.WriteLine(ProtoJson.Format(reply));
                return ExitCodes.Success;
            }
            var c = summary.Counts;
            Console.WriteLine($"sweep {summary.Name} ({summary.SweepId}){(summary.Cancelled ? " cancelled" : summary.Finished ? " finished" : "")}: " +
                $"{c.Total} trials, {c.Running} running, {c.Pending} pending, {c.Completed} completed, {c.Diverged} diverged, {c.Failed} failed, {c.Cancelled} cancelled");
            var rows = new TextTable("trial", "label", "state", "attempts", "progress", "node");
            foreach (var t in trials.Select(t => t.FromApi()))
                rows.Add(t.TrialId, t.Label, t.State.ToString().ToLowerInvariant(), N(t.Attempts),
                    t.Result is { } r
                        ? string.Create(CultureInfo.InvariantCulture, $"{r.Steps} steps, loss {r.FinalTrainLoss:F4}, test error {(r.TestError is { } e ? e.ToString("P2", CultureInfo.InvariantCulture) : "-")}")
                        : t.Progress is { } p ? string.Create(CultureInfo.InvariantCulture, $"step {p.Step}/{p.TotalSteps}, loss {p.Loss:F4}, {p.ImagesPerSecond:F0} img/s") : t.Reason ?? "",
                    t.Slot is { } slot ? $"{Dashboard.Host(slot.Node)} slot {slot.Index}" : "");
            Console.Write(rows.Render(markdown: false));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Watch()
    {
        var options = new RemoteOptions();
        var sweep = new Argument<string>("sweep") { Description = "Sweep id (printed by submit, listed by status)." };
        var fromEvent = new Option<long>("--from-event") { Description = "Skip events up to this number (with --json: resume a feed you read before)." };
        var command = new Command("watch", "Follow a sweep's progress until it ends; the exit code says whether every trial completed.") { sweep, fromEvent };
        options.AddTo(command);
        command.SetAction((parse, _) => RemoteConnection.RunAsync(options, parse,
            (remote, cancellation) => WatchAsync(remote, parse.GetValue(sweep)!, parse.GetValue(fromEvent), cancellation)));
        return command;
    }

    private static Command Cancel()
    {
        var options = new RemoteOptions();
        var sweep = new Argument<string>("sweep") { Description = "Sweep id." };
        var reason = new Option<string>("--reason") { Description = "Why; kept with every cancelled trial.", DefaultValueFactory = _ => "cancelled with clustertrain cancel" };
        var command = new Command("cancel", "Cancel a sweep: pending trials never start, running ones stop (with a checkpoint).") { sweep, reason };
        options.AddTo(command);
        command.SetAction((parse, _) => RemoteConnection.RunAsync(options, parse, async (remote, cancellation) =>
        {
            var sweepId = parse.GetValue(sweep)!;
            var reply = await remote.Client.CancelSweepAsync(new CancelSweepRequest { SweepId = sweepId, Reason = parse.GetValue(reason)! },
                remote.Headers, cancellationToken: cancellation);
            Console.WriteLine(remote.Json ? ProtoJson.Format(reply) : $"sweep {sweepId}: {reply.TrialsCancelled} trials cancelled");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Report()
    {
        var options = new RemoteOptions();
        var sweep = new Argument<string>("sweep") { Description = "Sweep id." };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Folder to write the report files to.", Required = true };
        var command = new Command("report", "Download a sweep's report (trials.csv, gradstats.csv, summary.json, plots); written on demand for an unfinished sweep.")
        {
            sweep, output,
        };
        options.AddTo(command);
        command.SetAction((parse, _) => RemoteConnection.RunAsync(options, parse, async (remote, cancellation) =>
        {
            var folder = parse.GetValue(output)!.FullName;
            if (OutputFolder.Create(folder) is { } unusable) throw new RemoteInputException(unusable);
            var files = new List<(string Name, long Bytes)>();
            using var call = remote.Client.GetReport(new GetReportRequest { SweepId = parse.GetValue(sweep)! }, remote.Headers, cancellationToken: cancellation);
            FileStream? current = null;
            string? currentName = null;
            try
            {
                await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellation))
                {
                    if (current is null || chunk.Name != currentName)
                    {
                        if (current is not null) await current.DisposeAsync();
                        currentName = chunk.Name;
                        current = File.Create(Target(folder, chunk.Name));
                        files.Add((chunk.Name, 0));
                    }
                    await current.WriteAsync(chunk.Data.Memory, cancellation);
                    files[^1] = (chunk.Name, files[^1].Bytes + chunk.Data.Length);
                }
            }
            finally
            {
                if (current is not null) await current.DisposeAsync();
            }
            if (remote.Json)
                Console.WriteLine(JsonSerializer.Serialize(new { folder, files = files.Select(f => new { name = f.Name, bytes = f.Bytes }) }));
            else
            {
                foreach (var (name, bytes) in files) Console.WriteLine($"{Path.Combine(folder, name)} ({bytes:N0} bytes)");
                Console.WriteLine($"{files.Count} report files in {folder}");
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The local path of a report file; a name that would leave the folder is refused.</summary>
    private static string Target(string folder, string name)
    {
        var path = Path.GetFullPath(Path.Combine(folder, name));
        if (!path.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new RemoteInputException($"the coordinator sent a report file named '{name}', which lies outside {folder}");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    private static async Task<(SweepSummary Summary, List<Trial> Trials)> SweepAsync(RemoteConnection remote, string sweepId, CancellationToken cancellation)
    {
        var trials = new List<Trial>();
        GetSweepReply page;
        do
        {
            page = await remote.Client.GetSweepAsync(new GetSweepRequest { SweepId = sweepId, TrialOffset = trials.Count },
                remote.Headers, cancellationToken: cancellation);
            trials.AddRange(page.Trials);
        } while (page.Trials.Count > 0 && trials.Count < page.Sweep.Counts.Total);
        return (page.Sweep, trials);
    }

    /// <summary>
    /// Follows the sweep's event feed to its end with a live display (plain lines when stdout is not a terminal) or,
    /// with --json, one event per line. A broken stream is resumed from the last event received.
    /// </summary>
    private static async Task<int> WatchAsync(RemoteConnection remote, string sweepId, long fromEvent, CancellationToken cancellation)
    {
        var first = await remote.Client.GetSweepAsync(new GetSweepRequest { SweepId = sweepId, TrialLimit = 1 }, remote.Headers, cancellationToken: cancellation);
        var trials = new SortedDictionary<int, Core.TrialReport>();
        var counts = first.Sweep.Counts.FromApi();
        using var display = remote.Json ? null : SweepProgressDisplay.Create(first.Sweep.Name);
        var after = fromEvent;
        var feedId = "";
        var brokenSince = (DateTimeOffset?)null;
        while (true)
        {
            try
            {
                using var call = remote.Client.WatchSweep(new WatchSweepRequest { SweepId = sweepId, FromEvent = after, FeedId = feedId },
                    remote.Headers, cancellationToken: cancellation);
                await foreach (var e in call.ResponseStream.ReadAllAsync(cancellation))
                {
                    brokenSince = null;
                    after = e.Number;
                    feedId = e.FeedId;
                    if (remote.Json) Console.WriteLine(ProtoJson.Format(e));
                    switch (e.KindCase)
                    {
                        case SweepEvent.KindOneofCase.TrialChanged:
                            var changed = e.TrialChanged.Trial.FromApi();
                            trials[changed.Index] = changed;
                            break;
                        case SweepEvent.KindOneofCase.Progress:
                            // The feed writes a Progress after every batch of trial changes: one screen update per batch.
                            counts = e.Progress.Counts.FromApi();
                            foreach (var running in e.Progress.Running.Select(t => t.FromApi())) trials[running.Index] = running;
                            display?.Show(counts, trials.Values.ToList());
                            break;
                        case SweepEvent.KindOneofCase.SweepEnded:
                            counts = e.SweepEnded.Counts.FromApi();
                            display?.Show(counts, trials.Values.ToList());
                            display?.Dispose();
                            if (!remote.Json)
                                Console.WriteLine($"sweep {first.Sweep.Name} ({sweepId}) ended: {counts.Completed} completed, {counts.Diverged} diverged, " +
                                    $"{counts.Failed} failed, {counts.Cancelled} cancelled");
                            return SweepClient.ExitCodeOf(counts);
                    }
                }
                throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the event stream ended before the sweep did"));
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && after > 0 && !cancellation.IsCancellationRequested)
            {
                // The coordinator went away mid-sweep; it may be restarting. Resume from the last event received.
                brokenSince ??= DateTimeOffset.UtcNow;
                if (DateTimeOffset.UtcNow - brokenSince > ReconnectFor) throw;
                if (!remote.Json) Console.Error.WriteLine($"lost the coordinator at {remote.Url} ({e.Status.Detail}); reconnecting from event {after}");
                await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
            }
        }
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
}
