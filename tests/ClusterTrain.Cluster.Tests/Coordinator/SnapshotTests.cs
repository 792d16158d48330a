using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;
using Microsoft.Data.Sqlite;

namespace ClusterTrain.Cluster.Tests.Coordinator;

/// <summary>Coordinator snapshots: recovery from the latest one plus the events after it builds what a full replay builds.</summary>
public class SnapshotTests : CoordinatorFixture
{
    private const int SnapshotEvery = 4;

    /// <summary>
    /// Two sweeps through every kind of event: assignments, statistics batches over two attempts, a crash, a graceful
    /// interruption, results with a resume point, a cancellation; some events come after the last snapshot.
    /// </summary>
    private (string Seeds, string Four) Play()
    {
        var seeds = Submit(Specs.TwoSeeds);
        var four = Submit(Specs.FourTrials(concurrency: 4));
        var (a, b) = (Slot(), Slot());
        void Batch(Akka.TestKit.TestProbe slot, StartTrial start, long sequenceNr, long step, double norm)
        {
            var layers = Stats.Snapshot(step, layers: 2).Layers.Select(l => l with { L2Norm = norm }).ToList();
            slot.Send(Coordinator, new GradientStatsBatch(start.SweepId, start.TrialId, start.Attempt, sequenceNr, [new GradientSnapshot(step, layers)]));
            slot.ExpectMsg<GradientStatsBatchAccepted>(m => m.SequenceNr == sequenceNr, Wait);
        }

        var s1 = Pull(a, 0);
        Batch(a, s1, 1, 0, 1.0);
        Batch(a, s1, 2, 10, 1.5);
        a.Send(Coordinator, new TrialCrashed(s1.SweepId, s1.TrialId, s1.Attempt, "exit code 139"));
        var s1Again = Pull(a, 0);
        Batch(a, s1Again, 1, 10, 2.0);
        Finish(a, s1Again, Stats.Completed(testError: 0.25) with { ResumedFromStep = 10 });
        var s2 = Pull(b, 1);
        Batch(b, s2, 1, 0, 3.0);
        Finish(b, s2, Stats.Completed() with { Outcome = TrialOutcome.Interrupted });
        var s2Again = Pull(b, 1);
        Batch(b, s2Again, 1, 0, 3.5);
        Finish(b, s2Again, Stats.Completed(testError: 0.5));
        var f1 = Pull(a, 0);
        Batch(a, f1, 1, 0, 4.0);
        Client.Send(Coordinator, new CancelSweep(four, "enough"));
        Client.ExpectMsg<SweepCancellationAccepted>(Wait);
        return (seeds, four);
    }

    /// <summary>Everything the coordinator answers about a sweep, in a form that compares by value.</summary>
    private (byte[] Status, IReadOnlyList<(string Trial, IReadOnlyList<GradientSnapshot> Steps)> Trials, IReadOnlyList<SeedSpread> Spreads) State(string sweepId)
    {
        var status = ProtocolCodec.Encode(Status(sweepId));
        Client.Send(Coordinator, new GetSweepGradients(sweepId));
        var gradients = Client.ExpectMsg<SweepGradients>(Wait);
        return (status,
            gradients.Trials.OrderBy(t => t.Key).Select(t => (t.Key, t.Value)).ToList(),
            gradients.Configurations.OrderBy(c => c.Key).SelectMany(c => c.Value).ToList());
    }

    private static void AssertSame(
        (byte[] Status, IReadOnlyList<(string Trial, IReadOnlyList<GradientSnapshot> Steps)> Trials, IReadOnlyList<SeedSpread> Spreads) expected,
        (byte[] Status, IReadOnlyList<(string Trial, IReadOnlyList<GradientSnapshot> Steps)> Trials, IReadOnlyList<SeedSpread> Spreads) actual)
    {
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.Trials.Select(t => t.Trial), actual.Trials.Select(t => t.Trial));
        foreach (var (e, a) in expected.Trials.Zip(actual.Trials)) Assert.Equal(e.Steps, a.Steps);
        Assert.Equal(expected.Spreads, actual.Spreads);
    }

    private long StoredSnapshots()
    {
        using var connection = new SqliteConnection($"Data Source={JournalFile};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM snapshot";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public void Recovery_from_a_snapshot_and_the_later_events_equals_a_full_replay_of_the_journal()
    {
        StopCoordinator();
        Coordinator = StartCoordinator(SnapshotEvery);
        var (seeds, four) = Play();
        var live = (Seeds: State(seeds), Four: State(four));
        // Stored and deleted in the background: the latest snapshot, once the older ones are gone.
        AwaitCondition(() => StoredSnapshots() == 1);

        StopCoordinator();
        Coordinator = StartCoordinator(SnapshotEvery);
        var fromSnapshot = (Seeds: State(seeds), Four: State(four));
        StopCoordinator();
        Coordinator = StartCoordinator(snapshotEvery: 0);
        var fullReplay = (Seeds: State(seeds), Four: State(four));

        AssertSame(fullReplay.Seeds, fromSnapshot.Seeds);
        AssertSame(fullReplay.Four, fromSnapshot.Four);
        AssertSame(live.Seeds, fromSnapshot.Seeds);
        AssertSame(live.Four, fromSnapshot.Four);
        Assert.NotEmpty(fromSnapshot.Seeds.Spreads);
    }

    [Fact]
    public void A_journal_written_without_snapshots_recovers_whole_and_then_takes_them()
    {
        StopCoordinator();
        Coordinator = StartCoordinator(snapshotEvery: 0);
        var (seeds, four) = Play();
        var before = (Seeds: State(seeds), Four: State(four));
        var snapshotsBefore = StoredSnapshots();

        StopCoordinator();
        Coordinator = StartCoordinator(SnapshotEvery);
        var recovered = (Seeds: State(seeds), Four: State(four));
        // The journal holds more events than SnapshotEvery past the last snapshot (none): the next event brings one.
        Submit(Specs.FourTrials(name: "more"));
        AwaitCondition(() => StoredSnapshots() == 1);

        Assert.Equal(0, snapshotsBefore);
        AssertSame(before.Seeds, recovered.Seeds);
        AssertSame(before.Four, recovered.Four);
    }

    [Fact]
    public void A_state_larger_than_the_snapshot_limit_is_not_snapshotted_and_recovers_from_the_journal()
    {
        StopCoordinator();
        Coordinator = StartCoordinator(SnapshotEvery, snapshotMaxBytes: 256);
        var (seeds, four) = Play();
        var live = (Seeds: State(seeds), Four: State(four));

        StopCoordinator();
        Coordinator = StartCoordinator(SnapshotEvery, snapshotMaxBytes: 256);
        var recovered = (Seeds: State(seeds), Four: State(four));

        Assert.Equal(0, StoredSnapshots());
        AssertSame(live.Seeds, recovered.Seeds);
        AssertSame(live.Four, recovered.Four);
    }

    private void AwaitCondition(Func<bool> condition) => Kit.AwaitCondition(condition, Wait);
}
