using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.Shared;

namespace ClusterTrain.Cluster.Tests.Hosting;

public class OptionsTests
{
    [Fact]
    public void Environment_variables_override_the_settings_file_key_by_key()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "appsettings.json");
        File.WriteAllText(file, """
            { "ClusterTrain": {
                "Cluster": { "Hostname": "0.0.0.0", "Port": 4053, "SeedNodes": [ "akka.tcp://clustertrain@a:4053" ] },
                "Coordinator": { "CheckpointRoot": "/shared/checkpoints" } } }
            """);
        var environment = new Dictionary<string, string>
        {
            ["CLUSTERTRAIN_CLUSTER__PORT"] = "5000",
            ["CLUSTERTRAIN_CLUSTER__PUBLICHOSTNAME"] = "node7.example",
            ["CLUSTERTRAIN_CLUSTER__SEEDNODES__0"] = "akka.tcp://clustertrain@b:4053",
            ["CLUSTERTRAIN_CLUSTER__ROLES__0"] = "big-gpu",
            ["CLUSTERTRAIN_PERSISTENCE__PROVIDER"] = "postgresql",
            ["CLUSTERTRAIN_PERSISTENCE__CONNECTIONSTRING"] = "Host=db;Database=ct",
            ["UNRELATED"] = "x",
        };

        var configuration = ClusterTrainConfiguration.Load(file, environment);
        var cluster = ClusterTrainConfiguration.Cluster(configuration);
        var persistence = ClusterTrainConfiguration.Persistence(configuration);
        var coordinator = ClusterTrainConfiguration.Coordinator(configuration);

        Assert.Equal(("0.0.0.0", 5000, "node7.example"), (cluster.Hostname, cluster.Port, cluster.PublicHostname));
        Assert.Equal(["akka.tcp://clustertrain@b:4053"], cluster.SeedNodes);
        Assert.Equal(["big-gpu"], cluster.Roles);
        Assert.Equal(("postgresql", "Host=db;Database=ct"), (persistence.Provider, persistence.ConnectionString));
        Assert.Equal("/shared/checkpoints", coordinator.CheckpointRoot);
    }

    [Fact]
    public void Without_settings_every_option_has_its_documented_default()
    {
        var configuration = ClusterTrainConfiguration.Load(settingsFile: null, environment: new Dictionary<string, string>());

        var cluster = ClusterTrainConfiguration.Cluster(configuration);
        var persistence = ClusterTrainConfiguration.Persistence(configuration);

        Assert.Equal(("clustertrain", "127.0.0.1", 0), (cluster.SystemName, cluster.Hostname, cluster.Port));
        Assert.Empty(cluster.SeedNodes);
        Assert.Empty(cluster.Check(ClusterRoles.Coordinator));
        Assert.Equal(PersistenceOptions.Sqlite, persistence.Provider);
    }

    [Fact]
    public void Unusable_cluster_options_are_reported_together_each_naming_its_key()
    {
        var options = new ClusterOptions
        {
            SystemName = "cluster train",
            Hostname = "",
            Port = 70_000,
            SeedNodes = ["not an address", "akka.tcp://other@h:4053"],
        };

        var problems = options.Check(ClusterRoles.Gpu).Select(p => p.ToString()).ToList();

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:SystemName: 'cluster train' is not a valid actor system name"));
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:Hostname: is empty"));
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:Port: 70000 is not a TCP port"));
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:SeedNodes:0: 'not an address' is not a member address"));
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:SeedNodes:1: 'akka.tcp://other@h:4053' names system 'other'"));
    }

    [Fact]
    public void A_gpu_node_without_seed_nodes_is_refused_before_it_starts()
    {
        var error = Assert.Throws<ConfigException>(() =>
            new Akka.Hosting.AkkaConfigurationBuilder(new Microsoft.Extensions.DependencyInjection.ServiceCollection(), "clustertrain")
                .AddClusterTrainAkka(new ClusterOptions(), ClusterRoles.Gpu));

        Assert.Contains("ClusterTrain:Cluster:SeedNodes: a GPU node needs the address of at least one member", error.Message);
    }

    [Fact]
    public void An_unknown_role_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new Akka.Hosting.AkkaConfigurationBuilder(new Microsoft.Extensions.DependencyInjection.ServiceCollection(), "clustertrain")
                .AddClusterTrainAkka(new ClusterOptions(), "tpu"));

        Assert.Contains("'tpu' is not a ClusterTrain role", error.Message);
    }

    [Fact]
    public void The_default_journal_is_an_sqlite_file_in_the_output_folder()
    {
        var connection = new PersistenceOptions().ResolveConnectionString("out");

        Assert.Equal($"Data Source={Path.Combine(Path.GetFullPath("out"), "clustertrain.db")}", connection);
    }

    [Fact]
    public void An_unknown_journal_provider_and_a_postgresql_journal_without_a_connection_string_are_refused()
    {
        var unknown = new PersistenceOptions { Provider = "mongodb" }.Check().Select(p => p.ToString());
        var postgres = new PersistenceOptions { Provider = "postgresql" }.Check().Select(p => p.ToString());

        Assert.Equal(["ClusterTrain:Persistence:Provider: 'mongodb' is not a journal provider; use sqlite or postgresql."], unknown);
        Assert.Single(postgres, p => p.StartsWith("ClusterTrain:Persistence:ConnectionString: PostgreSQL needs a connection string"));
    }

    [Fact]
    public void A_coordinator_without_a_checkpoint_root_is_refused()
    {
        var problems = new CoordinatorOptions { MaxTrialsPerSweep = 0 }.Check().Select(p => p.ToString()).ToList();

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Coordinator:CheckpointRoot: is empty"));
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Coordinator:MaxTrialsPerSweep: 0 is not a positive number"));
    }

    [Fact]
    public void Negative_snapshot_spacing_and_a_snapshot_limit_below_one_byte_are_refused()
    {
        var problems = new CoordinatorOptions { CheckpointRoot = "checkpoints", SnapshotEvery = -1, SnapshotMaxBytes = 0 }.Check().Select(p => p.ToString());

        Assert.Equal([
            "ClusterTrain:Coordinator:SnapshotEvery: -1 is not a number of events (0: no snapshots).",
            "ClusterTrain:Coordinator:SnapshotMaxBytes: 0 is not a positive number of bytes (SnapshotEvery 0 turns snapshots off).",
        ], problems);
    }
}
