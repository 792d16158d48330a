using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Cluster.Tests.Coordinator;

/// <summary>The coordinator over a real PostgreSQL server, as a multi-machine cluster runs it.</summary>
[Trait("Category", "PostgreSQL")]
public sealed class PostgresJournalTests(PostgresServer server) : CoordinatorFixture, IClassFixture<PostgresServer>
{
    // Without a server the fixture still needs a journal to start; the tests skip.
    protected override PersistenceOptions Persistence =>
        server.Unavailable is null ? new PersistenceOptions { Provider = PersistenceOptions.PostgreSql, ConnectionString = server.ConnectionString } : new();

    [SkippableFact]
    public async Task A_sweep_goes_on_after_a_coordinator_restart_over_postgresql_without_running_a_completed_trial_again()
    {
        Skip.If(server.Unavailable is not null, server.Unavailable);
        var yaml = Specs.FourTrials(name: "postgres");
        var ids = TrialIds(yaml);
        var sweepId = Submit(yaml);
        var slot = Slot();
        var first = Pull(slot, 0);
        Finish(slot, first, Stats.Completed(testError: 0.125));

        await RestartMemberAsync();
        var recovered = Status(sweepId);
        var after = new List<StartTrial>();
        var again = Slot();
        for (var i = 0; i < 3; i++)
        {
            var start = Pull(again, 0);
            after.Add(start);
            Finish(again, start);
        }
        again.Send(Coordinator, new RequestWork(0, "cpu"));
        again.ExpectMsg<NoWorkAvailable>(Wait);
        var ended = Status(sweepId);

        Assert.Equal(new SweepCounts(Pending: 3, Running: 0, Completed: 1, Diverged: 0, Failed: 0, Cancelled: 0), recovered.Counts);
        Assert.Equal(0.125, recovered.Trials.Single(t => t.TrialId == ids[0]).Result!.TestError);
        Assert.Equal(ids.Skip(1), after.Select(s => s.TrialId));
        Assert.Equal(4, ended.Counts.Completed);
        Assert.All(ended.Trials, t => Assert.Equal(1, t.Attempts));
    }
}
