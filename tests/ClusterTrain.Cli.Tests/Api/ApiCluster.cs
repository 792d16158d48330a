using ClusterTrain.Api.V1;
using ClusterTrain.Coordinator.Api;
using ClusterTrain.Coordinator.Cli.Remote;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.GpuNode.Worker;
using Grpc.Core;
using Grpc.Net.Client;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace ClusterTrain.Cli.Tests.Api;

[CollectionDefinition(Name)]
public sealed class ApiClusterCollection : ICollectionFixture<ApiCluster>
{
    public const string Name = "coordinator with API and one node";
}

/// <summary>
/// A real coordinator member with its API server (Kestrel on free ports, a token, a small spec limit) and a real
/// GPU-node member with one slot, whose trials run in child processes of clustertrain.dll. Shared by the API tests:
/// starting a cluster costs more than most of them.
/// </summary>
public sealed class ApiCluster : IAsyncLifetime
{
    public const string Token = "test-token-7f3a";
    public const int MaxSpecBytes = 4096;

    /// <summary>Guards against a hang only; no assertion depends on how fast anything is.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly List<GrpcChannel> _channels = [];

    public TempFolder Folder { get; } = new();

    public ClusterHost Coordinator { get; private set; } = null!;

    public ApiServer Server { get; private set; } = null!;

    private ClusterHost _node = null!;

    public async Task InitializeAsync()
    {
        Coordinator = await ClusterHosts.StartCoordinatorAsync(new ClusterOptions { Port = 0 },
            new CoordinatorOptions { CheckpointRoot = Folder.Folder("checkpoints"), OutputFolder = Folder.Path }, new PersistenceOptions(),
            Folder.Path, AkkaLogLevel.WarningLevel, Patience);
        Server = await ApiServer.StartAsync(new ApiOptions
        {
            Port = 0, HttpPort = 0, Token = Token, MaxSpecBytes = MaxSpecBytes,
            FeedInterval = TimeSpan.FromMilliseconds(200), ProgressInterval = TimeSpan.FromMilliseconds(500),
        }, Coordinator.Coordinator, Folder.Path);
        _node = await ClusterHosts.StartNodeAsync(new ClusterOptions { Port = 0, SeedNodes = [Coordinator.Address.ToString()] },
            new NodeOptions { Slots = 1, Threads = 1, ResendInterval = TimeSpan.FromMilliseconds(300) },
            TrialProcessOptions.ClusterTrainDllIn(AppContext.BaseDirectory), new TrialShutdowns(), AkkaLogLevel.WarningLevel, Patience);
    }

    public async Task DisposeAsync()
    {
        foreach (var channel in _channels) channel.Dispose();
        await _node.DisposeAsync();
        await Server.DisposeAsync();
        await Coordinator.DisposeAsync();
        Folder.Dispose();
    }

    /// <summary>A gRPC client of the API; every call carries <paramref name="token"/> when given.</summary>
    public (SweepApi.SweepApiClient Client, Metadata Headers) Client(string? token = Token)
    {
        var channel = GrpcChannel.ForAddress(Server.GrpcUrl);
        lock (_channels) _channels.Add(channel);
        return (new SweepApi.SweepApiClient(channel), token is null ? [] : new Metadata { { "authorization", $"Bearer {token}" } });
    }

    /// <summary>Runs the clustertrain command with the coordinator's URL and token in its environment.</summary>
    internal Task<ClusterTrainProcess.Outcome> CliAsync(params string[] args) => ClusterTrainProcess.RunAsync(Folder.Path,
        new Dictionary<string, string?>
        {
            [RemoteOptions.UrlVariable] = Server.GrpcUrl.ToString(),
            [RemoteOptions.TokenVariable] = Token,
            [RemoteOptions.TokenFileVariable] = null,
        }, args);

    /// <summary>A sweep of two tiny CIFAR nets (depth 8, width 8) on 64 synthetic images: plain and residual.</summary>
    public static string TinySweep(string name, int maxSteps = 8) => $$"""
        name: {{name}}
        data: { kind: synthetic, synthetic_train_size: 64, synthetic_test_size: 16 }
        fixed: { model.family: cifar-resnet, model.depth: 8, model.base_width: 8, batch_size: 16, max_steps: {{maxSteps}}, epochs: 1000 }
        grid: { model.shortcuts: [false, true] }
        seeds: [0]
        stats: { every: 2, histogram_bins: 8 }
        resources: { cpu_threads_per_trial: 1 }
        checkpoint_every: 4
        """;

    public string SpecFile(string name, string yaml) => Folder.File($"{name}.yaml", yaml);

    /// <summary>Waits until the sweep satisfies <paramref name="condition"/>, reading it through the API.</summary>
    public async Task<GetSweepReply> WaitForAsync(string sweepId, Func<GetSweepReply, bool> condition)
    {
        var (client, headers) = Client();
        using var guard = new CancellationTokenSource(Patience);
        while (true)
        {
            var sweep = await client.GetSweepAsync(new GetSweepRequest { SweepId = sweepId }, headers, cancellationToken: guard.Token);
            if (condition(sweep)) return sweep;
            await Task.Delay(100, guard.Token);
        }
    }
}
