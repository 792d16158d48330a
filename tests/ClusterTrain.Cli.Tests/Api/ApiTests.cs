using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ClusterTrain.Api.V1;
using ClusterTrain.Coordinator.Api;
using ClusterTrain.Shared;
using Grpc.Core;

namespace ClusterTrain.Cli.Tests.Api;

/// <summary>
/// The coordinator's gRPC API through the real `clustertrain submit|status|watch|cancel|report` commands and through
/// a gRPC client, against a real coordinator and node (<see cref="ApiCluster"/>).
/// </summary>
[Collection(ApiClusterCollection.Name)]
[Trait("Category", "Process")]
public sealed class ApiTests(ApiCluster cluster)
{
    private static string SweepIdOf(ClusterTrainProcess.Outcome submitted)
    {
        Assert.True(submitted.ExitCode == 0, submitted.Stderr);
        return JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("sweepId").GetString()!;
    }

    /// <summary>A URL on a loopback port that nothing listens on (it was free a moment ago).</summary>
    private static string ClosedPortUrl()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();
        return url;
    }

    private static async Task<List<SweepEvent>> WatchAsync(SweepApi.SweepApiClient client, Metadata headers, WatchSweepRequest request)
    {
        using var guard = new CancellationTokenSource(ApiCluster.Patience);
        using var call = client.WatchSweep(request, headers, cancellationToken: guard.Token);
        var events = new List<SweepEvent>();
        await foreach (var e in call.ResponseStream.ReadAllAsync(guard.Token)) events.Add(e);
        return events;
    }

    [Fact]
    public async Task A_submitted_sweep_is_watched_to_its_end_its_report_is_written_and_its_files_arrive()
    {
        var spec = cluster.SpecFile("tiny", ApiCluster.TinySweep("tiny"));
        var sweepId = SweepIdOf(await cluster.CliAsync("submit", spec, "--json"));

        var watched = await cluster.CliAsync("watch", sweepId);
        var written = Path.Combine(cluster.Folder.Path, "sweeps", sweepId, "summary.json");
        using (var guard = new CancellationTokenSource(ApiCluster.Patience))
            while (!File.Exists(written)) await Task.Delay(100, guard.Token);
        var report = Path.Combine(cluster.Folder.Path, "downloaded");
        var reported = await cluster.CliAsync("report", sweepId, "--out", report);

        Assert.True(watched.ExitCode == 0, watched.Stdout + watched.Stderr);
        Assert.Contains($"sweep tiny ({sweepId}) ended: 2 completed, 0 diverged, 0 failed, 0 cancelled", watched.Stdout);
        Assert.DoesNotContain("\u001b[", watched.Stdout, StringComparison.Ordinal);
        Assert.True(reported.ExitCode == 0, reported.Stderr);
        var rows = File.ReadAllLines(Path.Combine(report, "trials.csv"));
        Assert.Equal(3, rows.Length);
        Assert.All(rows.Skip(1), row => Assert.Contains(",completed,", row));
        Assert.True(new FileInfo(Path.Combine(report, "gradstats.csv")).Length > 0);
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json"))).RootElement;
        Assert.Equal(sweepId, summary.GetProperty("sweep_id").GetString());
        Assert.Equal(2, summary.GetProperty("counts").GetProperty("completed").GetInt32());
    }

    [Fact]
    public async Task Watching_from_an_event_number_returns_only_the_later_events_of_the_same_feed()
    {
        var (client, headers) = cluster.Client();
        var submitted = await client.SubmitSweepAsync(new SubmitSweepRequest { SpecYaml = ApiCluster.TinySweep("tiny"), SourceName = "tiny.yaml" }, headers);
        var whole = await WatchAsync(client, headers, new WatchSweepRequest { SweepId = submitted.SweepId });
        var from = whole.Count / 2;

        var resumed = await WatchAsync(client, headers, new WatchSweepRequest { SweepId = submitted.SweepId, FromEvent = from, FeedId = whole[0].FeedId });
        var fromAnotherFeed = await WatchAsync(client, headers, new WatchSweepRequest { SweepId = submitted.SweepId, FromEvent = from, FeedId = "restarted" });

        Assert.Equal(Enumerable.Range(1, whole.Count).Select(n => (long)n), whole.Select(e => e.Number));
        Assert.Equal(SweepEvent.KindOneofCase.SweepEnded, whole[^1].KindCase);
        Assert.Equal(2, whole.Count(e => e.KindCase == SweepEvent.KindOneofCase.TrialChanged && e.TrialChanged.Trial.State == TrialState.Completed));
        Assert.Equal(whole.Skip(from), resumed);
        Assert.Equal(whole, fromAnotherFeed);
    }

    [Fact]
    public async Task An_invalid_spec_gets_every_problem_back_and_exit_code_2()
    {
        var spec = cluster.SpecFile("bad", "name: bad\nfixed: { model.family: cifar-resnet, model.depth: 21 }\nconcurrency: -1\nseeds: [0, 0]\n");

        var submitted = await cluster.CliAsync("submit", spec);
        var (client, headers) = cluster.Client();
        var reply = await client.SubmitSweepAsync(new SubmitSweepRequest { SpecYaml = File.ReadAllText(spec), SourceName = "bad.yaml" }, headers);

        Assert.Equal(2, submitted.ExitCode);
        Assert.Contains("bad.yaml:2: fixed.model.depth: 21 is not 6n+2", submitted.Stderr);
        Assert.Contains("bad.yaml:3: concurrency: -1 is negative", submitted.Stderr);
        Assert.Contains("bad.yaml:4: seeds: 0 appears twice", submitted.Stderr);
        Assert.Equal("", reply.SweepId);
        Assert.Equal(3, reply.Problems.Count);
    }

    [Fact]
    public async Task A_cancelled_sweep_ends_its_watch_with_exit_code_1_and_every_trial_cancelled()
    {
        var spec = cluster.SpecFile("endless", ApiCluster.TinySweep("endless", maxSteps: 1_000_000));
        var sweepId = SweepIdOf(await cluster.CliAsync("submit", spec, "--json"));
        await cluster.WaitForAsync(sweepId, s => s.Trials.Any(t => t.State == TrialState.Running));

        var cancelled = await cluster.CliAsync("cancel", sweepId, "--json");
        var watched = await cluster.CliAsync("watch", sweepId);

        Assert.True(cancelled.ExitCode == 0, cancelled.Stderr);
        Assert.Equal(2, JsonDocument.Parse(cancelled.Stdout).RootElement.GetProperty("trialsCancelled").GetInt32());
        Assert.Equal(1, watched.ExitCode);
        Assert.Contains($"sweep endless ({sweepId}) ended: 0 completed, 0 diverged, 0 failed, 2 cancelled", watched.Stdout);
    }

    [Fact]
    public async Task Status_lists_the_sweeps_and_an_unknown_sweep_is_bad_input()
    {
        var spec = cluster.SpecFile("listed", ApiCluster.TinySweep("listed", maxSteps: 1_000_000));
        var sweepId = SweepIdOf(await cluster.CliAsync("submit", spec, "--json"));
        await cluster.CliAsync("cancel", sweepId);

        var listed = await cluster.CliAsync("status", "--json");
        var one = await cluster.CliAsync("status", sweepId);
        var unknown = await cluster.CliAsync("status", "nosuchsweep");

        Assert.True(listed.ExitCode == 0, listed.Stderr);
        var sweeps = JsonDocument.Parse(listed.Stdout).RootElement.GetProperty("sweeps").EnumerateArray();
        Assert.Contains(sweeps, s => s.GetProperty("sweepId").GetString() == sweepId && s.GetProperty("name").GetString() == "listed");
        Assert.True(one.ExitCode == 0, one.Stderr);
        Assert.Contains($"sweep listed ({sweepId}) cancelled: 2 trials", one.Stdout);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no sweep with id 'nosuchsweep'", unknown.Stderr);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Calls_without_the_right_token_are_unauthenticated(string? token)
    {
        var (client, headers) = cluster.Client(token);

        var unary = await Assert.ThrowsAsync<RpcException>(() => client.ListSweepsAsync(new ListSweepsRequest(), headers).ResponseAsync);
        var streaming = await Assert.ThrowsAsync<RpcException>(() => WatchAsync(client, headers, new WatchSweepRequest { SweepId = "any" }));
        var submit = await Assert.ThrowsAsync<RpcException>(() =>
            client.SubmitSweepAsync(new SubmitSweepRequest { SpecYaml = ApiCluster.TinySweep("intruder") }, headers).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, unary.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, streaming.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, submit.StatusCode);
        var (authorized, authorizedHeaders) = cluster.Client();
        var sweeps = await authorized.ListSweepsAsync(new ListSweepsRequest(), authorizedHeaders);
        Assert.DoesNotContain(sweeps.Sweeps, s => s.Name == "intruder");
    }

    [Fact]
    public async Task The_cli_with_a_wrong_token_is_refused_with_exit_code_2()
    {
        var refused = await ClusterTrainProcess.RunAsync(cluster.Folder.Path,
            new Dictionary<string, string?> { ["CLUSTERTRAIN_TOKEN"] = null, ["CLUSTERTRAIN_TOKEN_FILE"] = null },
            "status", "--coordinator", cluster.Server.GrpcUrl.ToString(), "--token", "wrong-token");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"the coordinator at {cluster.Server.GrpcUrl} refused the call", refused.Stderr);
    }

    [Fact]
    public async Task The_cli_reads_its_token_from_a_token_file()
    {
        var tokenFile = cluster.Folder.File("token", ApiCluster.Token + "\n");

        var listed = await ClusterTrainProcess.RunAsync(cluster.Folder.Path,
            new Dictionary<string, string?> { ["CLUSTERTRAIN_TOKEN"] = null, ["CLUSTERTRAIN_TOKEN_FILE"] = tokenFile },
            "status", "--coordinator", cluster.Server.GrpcUrl.ToString());

        Assert.True(listed.ExitCode == 0, listed.Stderr);
    }

    [Theory]
    [InlineData("--coordinator", "not a url", "--coordinator not a url is not an http:// or https:// URL")]
    [InlineData("--token-file", "/nonexistent/token", "the token file /nonexistent/token does not exist")]
    public async Task Unusable_connection_options_are_bad_input(string option, string value, string message)
    {
        var outcome = await ClusterTrainProcess.RunAsync(cluster.Folder.Path,
            new Dictionary<string, string?> { ["CLUSTERTRAIN_TOKEN"] = null, ["CLUSTERTRAIN_TOKEN_FILE"] = null, ["CLUSTERTRAIN_COORDINATOR_URL"] = null },
            "status", option, value);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains(message, outcome.Stderr);
    }

    [Fact]
    public async Task The_dashboard_refuses_a_request_without_the_token()
    {
        using var http = new HttpClient();

        var page = await http.GetAsync(cluster.Server.DashboardUrl);
        var data = await http.GetAsync(new Uri(cluster.Server.DashboardUrl, "api/sweeps"));
        var wrong = await http.GetAsync(new Uri(cluster.Server.DashboardUrl, "?token=wrong-token"));

        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, data.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task An_oversized_spec_is_refused_naming_its_size_and_the_limit()
    {
        var yaml = ApiCluster.TinySweep("oversized") + "\n# " + new string('x', ApiCluster.MaxSpecBytes) + "\n";
        var spec = cluster.SpecFile("oversized", yaml);
        var (client, headers) = cluster.Client();

        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            client.SubmitSweepAsync(new SubmitSweepRequest { SpecYaml = yaml, SourceName = "oversized.yaml" }, headers).ResponseAsync);
        var submitted = await cluster.CliAsync("submit", spec);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains($"over this coordinator's limit of {ApiCluster.MaxSpecBytes:N0} bytes (ClusterTrain:Api:MaxSpecBytes)", refused.Status.Detail);
        Assert.Equal(2, submitted.ExitCode);
        Assert.Contains("MaxSpecBytes", submitted.Stderr);
    }

    [Fact]
    public async Task An_unreachable_coordinator_exits_with_code_3_naming_its_url()
    {
        var closed = ClosedPortUrl();

        var outcome = await cluster.CliAsync("status", "--coordinator", closed);

        Assert.Equal(3, outcome.ExitCode);
        Assert.Contains($"cannot reach the coordinator at {closed}/", outcome.Stderr);
        Assert.DoesNotContain("serves HTTPS", outcome.Stderr);
    }

    [Fact]
    public async Task A_second_api_server_on_a_taken_port_is_refused_naming_the_setting_and_the_port()
    {
        var taken = cluster.Server.GrpcUrl.Port;

        var refused = await Assert.ThrowsAsync<ConfigException>(() => ApiServer.StartAsync(
            new ApiOptions { Port = taken, HttpPort = 0 }, cluster.Coordinator.Coordinator, cluster.Folder.Path));

        var problem = Assert.Single(refused.Problems).ToString();
        Assert.Contains($"ClusterTrain:Api: cannot listen on 127.0.0.1 ports {taken} and 0", problem);
        Assert.Contains("CLUSTERTRAIN_API__PORT", problem);
    }

    [Fact]
    public async Task A_report_into_a_folder_that_cannot_be_made_exits_2_naming_it()
    {
        var file = Path.Combine(cluster.Folder.Path, "report-target-is-a-file");
        File.WriteAllText(file, "not a folder");
        var unusable = Path.Combine(file, "out");

        var outcome = await cluster.CliAsync("report", "0123456789ab", "--out", unusable);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"error: cannot use {unusable} as the output folder", outcome.Stderr);
    }

    [Fact]
    public async Task Submitting_an_ended_sweep_again_says_it_has_ended_and_runs_nothing()
    {
        var spec = cluster.SpecFile("again", ApiCluster.TinySweep("again"));
        var sweepId = SweepIdOf(await cluster.CliAsync("submit", spec, "--json"));
        Assert.Equal(0, (await cluster.CliAsync("watch", sweepId)).ExitCode);

        var again = await cluster.CliAsync("submit", spec);

        Assert.Equal(0, again.ExitCode);
        Assert.Contains($"sweep again ({sweepId}) was already submitted and has ended: 2 completed, 0 diverged, 0 failed, 0 cancelled; nothing runs again", again.Stdout);
    }

    [Fact]
    public async Task A_submitted_spec_whose_data_folder_is_missing_on_the_coordinator_is_told_where_relative_paths_resolve()
    {
        var yaml = """
            name: far-data
            data: { kind: cifar10, path: ../../shared/data/cifar10-not-here }
            fixed: { model.family: cifar-resnet, model.depth: 8 }
            grid: { model.shortcuts: [false, true] }
            """;
        var (client, headers) = cluster.Client();

        var reply = await client.SubmitSweepAsync(new SubmitSweepRequest { SpecYaml = yaml, SourceName = "far-data.yaml" }, headers);

        Assert.Contains(reply.Problems, p => p.Contains("cifar10-not-here' does not exist"));
        Assert.Contains(reply.Problems, p => p.StartsWith(
            $"far-data.yaml: relative paths in a submitted spec resolve on the coordinator, against its folder {cluster.Folder.Path};", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_json_an_error_is_also_a_json_object_on_stdout_with_its_exit_code()
    {
        var closed = ClosedPortUrl();

        var unreachable = await cluster.CliAsync("status", "--coordinator", closed, "--json");
        var wrongToken = await cluster.CliAsync("status", "--token", "wrong", "--json");

        var (unreachableError, wrongTokenError) = (JsonDocument.Parse(unreachable.Stdout).RootElement, JsonDocument.Parse(wrongToken.Stdout).RootElement);
        Assert.Equal((3, 3), (unreachable.ExitCode, unreachableError.GetProperty("exit_code").GetInt32()));
        Assert.StartsWith($"cannot reach the coordinator at {closed}/", unreachableError.GetProperty("error").GetString());
        Assert.Equal((2, 2), (wrongToken.ExitCode, wrongTokenError.GetProperty("exit_code").GetInt32()));
        Assert.Contains("refused the call", wrongTokenError.GetProperty("error").GetString());
    }
}
