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
                createProxyToo: false);
    }

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
