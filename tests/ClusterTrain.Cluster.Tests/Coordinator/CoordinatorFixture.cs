using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Cluster.Tests.Coordinator;

/// <summary>
/// A coordinator member (real remoting, self-joined cluster) with a real SQLite journal in a fresh folder,
/// and a <see cref="SweepCoordinator"/> started on it directly, so that a test can stop it and start the
/// next incarnation over the same journal. Test probes play the GPU nodes' slots and the CLI.
/// </summary>
public abstract class CoordinatorFixture : IAsyncLifetime
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly TempFolder _folder = new();
    private int _incarnation;

    internal ClusterMember Member { get; private set; } = null!;

    protected TestKit Kit { get; private set; } = null!;

    protected IActorRef Coordinator { get; set; } = null!;

    /// <summary>Asks the coordinator questions, as the CLI does.</summary>
    protected TestProbe Client { get; private set; } = null!;

    protected string CheckpointRoot => Path.Combine(_folder.Path, "checkpoints");

    protected string JournalFile => Path.Combine(_folder.Path, PersistenceOptions.DefaultSqliteFile);

    /// <summary>The journal: an SQLite file in the test's folder unless a test class says otherwise.</summary>
    protected virtual PersistenceOptions Persistence => new();

    public async Task InitializeAsync()
    {
        Member = await ClusterMember.StartAsync(ClusterRoles.Coordinator,
            configure: builder => builder.AddSweepJournal(Persistence, _folder.Path));
        Kit = new TestKit(Member.System);
        Client = Kit.CreateTestProbe();
        Coordinator = StartCoordinator();
    }

    /// <summary>Shuts the whole member down and starts a new one, a new process as far as Akka knows, over the same journal file.</summary>
    protected async Task RestartMemberAsync()
    {
        await Member.DisposeAsync();
        await InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Member.DisposeAsync();
        _folder.Dispose();
    }

    /// <param name="snapshotEvery">The coordinator's <see cref="CoordinatorOptions.SnapshotEvery"/>; its default when null.</param>
    /// <param name="attemptTimeout">The coordinator's <see cref="CoordinatorOptions.AttemptTimeout"/>; its default when null.</param>
    /// <param name="snapshotMaxBytes">The coordinator's <see cref="CoordinatorOptions.SnapshotMaxBytes"/>; its default when null.</param>
    protected IActorRef StartCoordinator(int? snapshotEvery = null, TimeSpan? attemptTimeout = null, long? snapshotMaxBytes = null)
    {
        var options = new CoordinatorOptions { CheckpointRoot = CheckpointRoot };
        if (snapshotMaxBytes is { } limit) options.SnapshotMaxBytes = limit;
        if (snapshotEvery is { } every) options.SnapshotEvery = every;
        if (attemptTimeout is { } timeout) options.AttemptTimeout = timeout;
        return Member.System.ActorOf(SweepCoordinator.Props(options), $"coordinator-{++_incarnation}");
    }

    protected void StopCoordinator()
    {
        var watcher = Kit.CreateTestProbe();
        watcher.Watch(Coordinator);
        Coordinator.Tell(PoisonPill.Instance);
        watcher.ExpectTerminated(Coordinator, Wait);
    }

    /// <summary>Stops the coordinator and starts its next incarnation, which recovers from the journal.</summary>
    protected void RestartCoordinator()
    {
        StopCoordinator();
        Coordinator = StartCoordinator();
    }

    protected string Submit(string yaml)
    {
        Client.Send(Coordinator, new SubmitSweep(yaml, "sweep.yaml", Path.GetTempPath()));
        return Client.ExpectMsg<SweepAccepted>(Wait).SweepId;
    }

    protected SweepStatus Status(string sweepId)
    {
        Client.Send(Coordinator, new GetSweepStatus(sweepId));
        return Client.ExpectMsg<SweepStatus>(Wait);
    }

    protected TrialReport Trial(string sweepId, string trialId) => Status(sweepId).Trials.Single(t => t.TrialId == trialId);

    protected TestProbe Slot() => Kit.CreateTestProbe();

    /// <summary>The slot asks for work and must be given a trial.</summary>
    protected StartTrial Pull(TestProbe slot, int slotIndex)
    {
        slot.Send(Coordinator, new RequestWork(slotIndex, "cpu"));
        return slot.ExpectMsg<StartTrial>(Wait);
    }

    protected void Finish(TestProbe slot, StartTrial start, TrialResult? result = null)
    {
        slot.Send(Coordinator, new TrialFinished(start.SweepId, start.TrialId, start.Attempt, result ?? Stats.Completed()));
        slot.ExpectMsg<TrialFinishedAccepted>(a => a.TrialId == start.TrialId && a.Attempt == start.Attempt, Wait);
    }

    protected static IReadOnlyList<string> TrialIds(string yaml) => Specs.Expand(yaml).Select(t => t.TrialId).ToList();
}
