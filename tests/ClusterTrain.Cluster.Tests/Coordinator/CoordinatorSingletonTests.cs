using Akka.TestKit.Xunit2;
using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Cluster.Tests.Coordinator;

public class CoordinatorSingletonTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_slot_on_a_gpu_member_pulls_work_from_the_coordinator_singleton_over_tcp_and_reports_back()
    {
        using var folder = new TempFolder();
        await using var coordinator = await ClusterMember.StartAsync(ClusterRoles.Coordinator, configure: builder =>
            builder.AddSweepCoordinator(new CoordinatorOptions { CheckpointRoot = Path.Combine(folder.Path, "checkpoints") },
                new PersistenceOptions(), folder.Path));
        await using var gpu = await ClusterMember.StartAsync(ClusterRoles.Gpu, [coordinator.Address]);
        var proxy = await gpu.Registry.GetAsync<SweepCoordinatorProxy>();
        var kit = new TestKit(gpu.System);
        var (client, slot) = (kit.CreateTestProbe(), kit.CreateTestProbe());
        var yaml = Specs.FourTrials(concurrency: 1);

        client.Send(proxy, new SubmitSweep(yaml, "sweep.yaml", Path.GetTempPath()));
        var sweepId = client.ExpectMsg<SweepAccepted>(Wait).SweepId;
        slot.Send(proxy, new RequestWork(0, "cuda:0"));
        var start = slot.ExpectMsg<StartTrial>(Wait);
        slot.Send(proxy, new GradientStatsBatch(sweepId, start.TrialId, start.Attempt, 1, [Stats.Snapshot(step: 0)]));
        slot.ExpectMsg<GradientStatsBatchAccepted>(Wait);
        slot.Send(proxy, new TrialFinished(sweepId, start.TrialId, start.Attempt, Stats.Completed()));
        slot.ExpectMsg<TrialFinishedAccepted>(Wait);
        client.Send(proxy, new GetSweepStatus(sweepId));
        var status = client.ExpectMsg<SweepStatus>(Wait);

        Assert.Equal(Specs.Expand(yaml)[0].TrialId, start.TrialId);
        var trial = status.Trials.Single(t => t.TrialId == start.TrialId);
        Assert.Equal((TrialState.Completed, 1), (trial.State, trial.Attempts));
        Assert.Equal(1, status.Counts.Completed);
    }
}
