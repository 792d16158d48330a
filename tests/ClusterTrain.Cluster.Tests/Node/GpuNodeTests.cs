using Akka.Actor;
using Akka.Hosting;
using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Cluster.Tests.Node;

/// <summary>
/// A real coordinator member (singleton, SQLite journal) and a real GPU-node member over loopback TCP, whose slots
/// train tiny trials in real child processes (clustertrain.dll from this test's output folder).
/// </summary>
public sealed class GpuNodeTests : IAsyncLifetime
{
    /// <summary>Guards against a hang only; no test depends on how fast anything is.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private readonly TempFolder _folder = new();
    private ClusterMember _coordinator = null!;
    private ClusterMember? _node;

    /// <summary>ResNet-8 of base width 8 on 64 synthetic images, 8 steps, statistics every 2 steps, one thread.</summary>
    private static string TinySweep(string name, int seeds) => $$"""
        name: {{name}}
        data: { kind: synthetic, synthetic_train_size: 64, synthetic_test_size: 16 }
        fixed: { model.family: cifar-resnet, model.depth: 8, model.base_width: 8, batch_size: 16, max_steps: 8, epochs: 10 }
        grid: { model.shortcuts: [false, true] }
        seeds: [{{string.Join(", ", Enumerable.Range(0, seeds))}}]
        stats: { every: 2, histogram_bins: 8 }
        resources: { cpu_threads_per_trial: 1 }
        checkpoint_every: 4
        """;

    public async Task InitializeAsync()
    {
        _coordinator = await ClusterMember.StartAsync(ClusterRoles.Coordinator, configure: builder => builder.AddSweepCoordinator(
            new CoordinatorOptions { CheckpointRoot = Path.Combine(_folder.Path, "checkpoints") }, new PersistenceOptions(), _folder.Path));
    }

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        await _coordinator.DisposeAsync();
        _folder.Dispose();
    }

    private async Task StartNodeAsync(int slots) =>
        _node = await ClusterMember.StartAsync(ClusterRoles.Gpu, [_coordinator.Address], builder => builder.AddGpuNode(
            new NodeOptions { Slots = slots, Threads = slots, ResendInterval = TimeSpan.FromMilliseconds(300) },
            TrialProcessOptions.ClusterTrainDllIn(AppContext.BaseDirectory)));

    private IActorRef Coordinator => _coordinator.Registry.Get<SweepCoordinatorProxy>();

    private async Task<string> SubmitAsync(string yaml)
    {
        var accepted = await Coordinator.Ask<ISweepReply>(new SubmitSweep(yaml, "sweep.yaml", _folder.Path), HangGuard);
        return Assert.IsType<SweepAccepted>(accepted).SweepId;
    }

    private async Task<SweepStatus> FinishedAsync(string sweepId)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (true)
        {
            var status = await Coordinator.Ask<SweepStatus>(new GetSweepStatus(sweepId), HangGuard);
            if (status.Counts.Finished) return status;
            await Task.Delay(200, guard.Token);
        }
    }

    [Fact]
    public async Task A_two_trial_sweep_completes_on_one_node_with_results_and_statistics_stored()
    {
        await StartNodeAsync(slots: 2);
        var sweepId = await SubmitAsync(TinySweep("two", seeds: 1));

        var status = await FinishedAsync(sweepId);

        Assert.Equal(2, status.Counts.Completed);
        Assert.All(status.Trials, t =>
        {
            Assert.Equal(TrialState.Completed, t.State);
            Assert.Equal(1, t.Attempts);
            Assert.Equal(8, t.Result!.Steps);
            Assert.NotNull(t.Result.TestError);
        });
        var gradients = await Coordinator.Ask<SweepGradients>(new GetSweepGradients(sweepId), HangGuard);
        // Statistics are taken before every second of the 8 steps.
        Assert.All(gradients.Trials.Values, snapshots => Assert.Equal([0L, 2, 4, 6], snapshots.Select(s => s.Step)));
    }

    [Fact]
    public async Task A_node_runs_no_more_trials_at_once_than_it_has_slots()
    {
        await StartNodeAsync(slots: 1);
        var sweepId = await SubmitAsync(TinySweep("one-slot", seeds: 2));

        var maxRunning = 0;
        SweepStatus status;
        using var guard = new CancellationTokenSource(HangGuard);
        do
        {
            status = await Coordinator.Ask<SweepStatus>(new GetSweepStatus(sweepId), HangGuard);
            maxRunning = Math.Max(maxRunning, status.Counts.Running);
            await Task.Delay(100, guard.Token);
        } while (!status.Counts.Finished);

        Assert.Equal(4, status.Counts.Completed);
        Assert.Equal(1, maxRunning);
    }

    [Fact]
    public async Task A_cancelled_sweep_stops_its_running_trial_and_frees_the_slot_for_the_next_sweep()
    {
        await StartNodeAsync(slots: 1);
        var endless = await SubmitAsync(TinySweep("endless", seeds: 1).Replace("max_steps: 8", "max_steps: 100000"));
        using (var guard = new CancellationTokenSource(HangGuard))
            while ((await Coordinator.Ask<SweepStatus>(new GetSweepStatus(endless), HangGuard)).Trials.All(t => t.Progress is null))
                await Task.Delay(100, guard.Token);

        await Coordinator.Ask<SweepCancellationAccepted>(new CancelSweep(endless, "test"), HangGuard);
        var next = await SubmitAsync(TinySweep("next", seeds: 1));

        var status = await FinishedAsync(next);
        Assert.Equal(2, status.Counts.Completed);
        Assert.Equal(2, (await FinishedAsync(endless)).Counts.Cancelled);
    }
}
