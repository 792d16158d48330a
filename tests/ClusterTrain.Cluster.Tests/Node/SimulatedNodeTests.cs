using Akka.Actor;
using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.GpuNode.Cluster.Internal;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;
using Microsoft.Data.Sqlite;

namespace ClusterTrain.Cluster.Tests.Node;

/// <summary>
/// Simulated training (<see cref="NodeOptions.SimulatedTrialSeconds"/>): a real coordinator member with its SQLite
/// journal and a real GPU-node member over loopback TCP, whose slots sleep instead of training but exchange the real
/// messages, statistics included.
/// </summary>
public sealed class SimulatedNodeTests : IAsyncLifetime
{
    /// <summary>Guards against a hang only; no test depends on how fast anything is.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private readonly TempFolder _folder = new();
    private ClusterMember _coordinator = null!;
    private ClusterMember? _node;

    public async Task InitializeAsync() =>
        _coordinator = await ClusterMember.StartAsync(ClusterRoles.Coordinator, configure: builder => builder.AddSweepCoordinator(
            new CoordinatorOptions { CheckpointRoot = Path.Combine(_folder.Path, "checkpoints") }, new PersistenceOptions(), _folder.Path));

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        await _coordinator.DisposeAsync();
        _folder.Dispose();
    }

    private IActorRef Coordinator => _coordinator.Registry.Get<SweepCoordinatorProxy>();

    private static TrialConfig Config(int maxSteps, int statsEvery, int depth = 8, int histogramBins = 8) =>
        new(new ModelSpec(ModelFamily.CifarResNet, depth), new DatasetSpec(), new OptimizerSpec(), new ScheduleSpec(),
            new StatsSpec(Every: statsEvery, HistogramBins: histogramBins), MaxSteps: maxSteps);

    private static async Task<List<WorkerEvent>> EventsOf(ITrialRun run)
    {
        var events = new List<WorkerEvent>();
        await foreach (var e in run.Events.ReadAllAsync()) events.Add(e);
        return events;
    }

    [Fact]
    public async Task A_node_gives_the_shutdown_phase_that_stops_its_trials_their_stop_grace_and_the_margin()
    {
        _node = await ClusterMember.StartAsync(ClusterRoles.Gpu, [_coordinator.Address], builder => builder.AddGpuNode(
            new NodeOptions { Slots = 1, SimulatedTrialSeconds = 1, StopGrace = TimeSpan.FromSeconds(40) },
            TrialProcessOptions.ClusterTrainDllIn(AppContext.BaseDirectory)));

        var timeout = CoordinatedShutdown.Get(_node.System).Timeout(CoordinatedShutdown.PhaseBeforeClusterShutdown);

        Assert.Equal(TimeSpan.FromSeconds(40) + NodeHosting.StopMargin, timeout);
    }

    [Fact]
    public async Task A_sweep_on_a_simulated_node_completes_every_trial_once_with_its_statistics_stored()
    {
        _node = await ClusterMember.StartAsync(ClusterRoles.Gpu, [_coordinator.Address], builder => builder.AddGpuNode(
            new NodeOptions { Slots = 3, Threads = 3, SimulatedTrialSeconds = 0.05, ResendInterval = TimeSpan.FromMilliseconds(300) },
            TrialProcessOptions.ClusterTrainDllIn(AppContext.BaseDirectory)));
        const string spec = """
            name: simulated
            data: { kind: synthetic }
            fixed: { model.family: cifar-resnet, model.depth: 8, max_steps: 8 }
            grid: { model.shortcuts: [false, true] }
            repeats: 4
            stats: { every: 2, histogram_bins: 8 }
            """;
        var sweepId = Assert.IsType<SweepAccepted>(await Coordinator.Ask<ISweepReply>(new SubmitSweep(spec, "sweep.yaml", _folder.Path), HangGuard)).SweepId;

        SweepStatus status;
        using (var guard = new CancellationTokenSource(HangGuard))
            while (!(status = await Coordinator.Ask<SweepStatus>(new GetSweepStatus(sweepId), HangGuard)).Counts.Finished)
                await Task.Delay(100, guard.Token);
        var gradients = await Coordinator.Ask<SweepGradients>(new GetSweepGradients(sweepId), HangGuard);

        Assert.Equal(8, status.Counts.Completed);
        Assert.All(status.Trials, t =>
        {
            Assert.Equal((TrialState.Completed, 1), (t.State, t.Attempts));
            Assert.Equal(8, t.Result!.Steps);
        });
        Assert.Equal(8, gradients.Trials.Count);
        // ResNet-8: the stem, two convs in each of three stages, the classifier; histograms of 8 bins + 2 open ends.
        Assert.All(gradients.Trials.Values, snapshots =>
        {
            Assert.Equal([0L, 2, 4, 6], snapshots.Select(s => s.Step));
            Assert.All(snapshots, s => Assert.Equal(8, s.Layers.Count));
            Assert.All(snapshots.SelectMany(s => s.Layers), l => Assert.Equal(10, l.Histogram.Count));
        });
    }

    [Fact]
    public async Task A_simulated_trial_sends_the_events_of_a_worker_in_order_and_ends_completed()
    {
        using var run = SimulatedTrial.Start(Config(maxSteps: 25, statsEvery: 10, depth: 20, histogramBins: 32), TimeSpan.FromMilliseconds(50));

        var events = await EventsOf(run);
        var exit = Assert.IsType<TrialProcessExit.Finished>(await run.Exit);

        var started = Assert.IsType<WorkerStarted>(events[0]);
        Assert.Equal(20, started.Training.WeightLayers.Count);
        Assert.Equal(25, started.Training.TotalSteps);
        var snapshots = events.OfType<WorkerSnapshot>().Select(s => s.Snapshot).ToList();
        Assert.Equal([0L, 10, 20], snapshots.Select(s => s.Step));
        // Each layer's histogram holds every one of its elements, as the collector's does.
        Assert.All(snapshots.SelectMany(s => s.Layers), l => Assert.Equal(l.Count, l.Histogram.Sum()));
        Assert.Equal(25, events.OfType<WorkerStep>().Last().Progress.Step);
        Assert.Equal(new WorkerResult(exit.Result), events[^1]);
        Assert.Equal((TrialOutcome.Completed, 25L), (exit.Result.Outcome, exit.Result.Steps));
    }

    [Fact]
    public async Task A_simulated_trial_asked_to_stop_ends_interrupted_before_its_last_step()
    {
        using var run = SimulatedTrial.Start(Config(maxSteps: 1000, statsEvery: 100), TimeSpan.FromHours(1));
        var reader = run.Events;
        Assert.IsType<WorkerStarted>(await reader.ReadAsync());

        var exit = Assert.IsType<TrialProcessExit.Finished>(await run.StopAsync(TimeSpan.FromSeconds(1)));

        Assert.Equal(TrialOutcome.Interrupted, exit.Result.Outcome);
        Assert.True(exit.Result.Steps < 1000);
    }

    [Fact]
    public async Task The_embedded_journal_is_kept_in_write_ahead_log_mode()
    {
        // The coordinator member is up, so its journal file exists; WAL is a setting the file itself keeps.
        await Coordinator.Ask<UnknownSweep>(new GetSweepStatus("none"), HangGuard);
        using var connection = new SqliteConnection(new PersistenceOptions().ResolveConnectionString(_folder.Path));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";

        Assert.Equal("wal", command.ExecuteScalar());
    }
}
