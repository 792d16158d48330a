using Akka;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Pattern;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using ClusterTrain.Coordinator.Cluster.Internal;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.Shared;

namespace ClusterTrain.Coordinator.Cluster;

/// <summary>The Akka.Hosting set-up of a member that can host the sweep coordinator.</summary>
public static class CoordinatorHosting
{
    /// <summary>
    /// The journal (Akka.Persistence.Sql over SQLite or PostgreSQL, tables created on first use) and the
    /// <see cref="SweepCoordinator"/> singleton on role <c>coordinator</c>. Use with
    /// <see cref="ClusterTrainAkka.AddClusterTrainAkka"/>, which binds the journal events to the protocol serializer
    /// and registers the proxy every member reaches the singleton through.
    /// </summary>
    /// <param name="outputFolder">Holds the default SQLite journal file.</param>
    /// <exception cref="ConfigException">The options are unusable; every problem names its key.</exception>
    public static AkkaConfigurationBuilder AddSweepCoordinator(
        this AkkaConfigurationBuilder builder, CoordinatorOptions coordinator, PersistenceOptions persistence, string outputFolder)
    {
        var problems = coordinator.Check();
        if (problems.Count > 0) throw new ConfigException(problems);
        return builder
            .AddSweepJournal(persistence, outputFolder)
            .WithSingleton<SweepCoordinator>(
                SweepCoordinatorProxy.SingletonName,
                // A journal failure stops the coordinator; the singleton manager would not start it again.
                BackoffSupervisor.Props(SweepCoordinator.Props(coordinator), "coordinator",
                    minBackoff: TimeSpan.FromSeconds(1), maxBackoff: TimeSpan.FromSeconds(30), randomFactor: 0.2),
                new ClusterSingletonOptions { Role = ClusterRoles.Coordinator },
                createProxyToo: false)
            // Akka gives the phase 5 s; storing the releases under load, with the journal busy, can take longer.
            .AddDuration("akka:coordinated-shutdown:phases:before-cluster-shutdown:timeout", ReleaseTimeout + LookupTimeout + TimeSpan.FromSeconds(1))
            .AddStartup((system, _) => CoordinatedShutdown.Get(system).AddTask(
                CoordinatedShutdown.PhaseBeforeClusterShutdown, "release-running-attempts", () => ReleaseRunningAttemptsAsync(system)));
    }

    /// <summary>
    /// Before this member leaves, the coordinator it hosts (if the singleton runs here) releases its running attempts
    /// uncounted: after a graceful stop the nodes stop their trials too, and the next coordinator would otherwise find
    /// those attempts lost and count them against their trials, one attempt per trial for every restart or rollout.
    /// </summary>
    private static async Task<Done> ReleaseRunningAttemptsAsync(ActorSystem system)
    {
        // The singleton's path under its manager; the backoff supervisor there forwards to the coordinator.
        var local = system.ActorSelection($"/user/{SweepCoordinatorProxy.SingletonName}/{SweepCoordinatorProxy.SingletonName}");
        try
        {
            var coordinator = await local.ResolveOne(LookupTimeout);
            await coordinator.Ask<Done>(SweepCoordinator.ReleaseRunningAttempts.Instance, ReleaseTimeout);
        }
        catch (Exception e) when (e is ActorNotFoundException or AskTimeoutException or TaskCanceledException)
        {
            // Not hosted here (another coordinator member holds the singleton), or not answering in time: the next
            // coordinator then finds the attempts as a crash leaves them.
        }
        return Done.Instance;
    }

    /// <summary>Storing one event per running trial takes milliseconds on a quiet machine; this is for a loaded one.</summary>
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(25);

    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The default journal and snapshot store: Akka.Persistence.Sql, its tables created on first use.</summary>
    /// <param name="outputFolder">Holds the default SQLite journal file.</param>
    /// <exception cref="ConfigException">The options are unusable; every problem names its key.</exception>
    public static AkkaConfigurationBuilder AddSweepJournal(this AkkaConfigurationBuilder builder, PersistenceOptions persistence, string outputFolder)
    {
        var connectionString = persistence.ResolveConnectionString(outputFolder);
        if (persistence.IsSqlite) SqliteJournalFile.UseWriteAheadLog(connectionString);
        return builder.WithSqlPersistence(
            connectionString: connectionString,
            providerName: persistence.ProviderName,
            autoInitialize: true);
    }
}
