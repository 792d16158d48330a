using Akka.Hosting;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.GpuNode.Cluster.Internal;
using ClusterTrain.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClusterTrain.Cluster.Tests.Hosting;

public class NodeOptionsTests
{
    [Fact]
    public void Node_settings_and_failure_detection_come_from_environment_variables()
    {
        var environment = new Dictionary<string, string>
        {
            ["CLUSTERTRAIN_NODE__SLOTS"] = "3",
            ["CLUSTERTRAIN_NODE__THREADS"] = "12",
            ["CLUSTERTRAIN_NODE__CHECKPOINTROOT"] = "/mnt/checkpoints",
            ["CLUSTERTRAIN_NODE__REASKINTERVAL"] = "00:00:02",
            ["CLUSTERTRAIN_NODE__SIMULATEDTRIALSECONDS"] = "0.25",
            ["CLUSTERTRAIN_CLUSTER__ACCEPTABLEHEARTBEATPAUSE"] = "00:00:01",
            ["CLUSTERTRAIN_CLUSTER__DOWNINGSTABLEAFTER"] = "00:00:04",
        };

        var configuration = ClusterTrainConfiguration.Load(settingsFile: null, environment);
        var node = ClusterTrainConfiguration.Node(configuration);
        var cluster = ClusterTrainConfiguration.Cluster(configuration);

        Assert.Equal((3, 12, "/mnt/checkpoints", TimeSpan.FromSeconds(2)), (node.Slots, node.Threads, node.CheckpointRoot, node.ReaskInterval));
        Assert.Equal(0.25, node.SimulatedTrialSeconds);
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4)), (cluster.AcceptableHeartbeatPause, cluster.DowningStableAfter));
        Assert.Empty(node.Check());
    }

    [Fact]
    public void Unusable_node_options_are_reported_together_each_naming_its_key()
    {
        var options = new NodeOptions { Slots = 0, Threads = -1, ReaskInterval = TimeSpan.Zero, StopGrace = TimeSpan.FromSeconds(-1), SimulatedTrialSeconds = 0 };

        var keys = options.Check().Select(p => p.Path).ToList();

        Assert.Equal(["ClusterTrain:Node:Slots", "ClusterTrain:Node:SimulatedTrialSeconds", "ClusterTrain:Node:Threads", "ClusterTrain:Node:ReaskInterval", "ClusterTrain:Node:StopGrace"], keys);
        Assert.Throws<ConfigException>(() => new AkkaConfigurationBuilder(new ServiceCollection(), "x")
            .AddGpuNode(options, GpuNode.Worker.TrialProcessOptions.ClusterTrainDllIn(AppContext.BaseDirectory)));
    }

    [Fact]
    public void Non_positive_failure_detector_spans_are_refused_by_name()
    {
        var options = new ClusterOptions { AcceptableHeartbeatPause = TimeSpan.Zero, HeartbeatInterval = TimeSpan.FromSeconds(-1), DowningStableAfter = TimeSpan.Zero };

        var keys = options.Check(ClusterRoles.Coordinator).Select(p => p.Path).ToList();

        Assert.Equal(["ClusterTrain:Cluster:AcceptableHeartbeatPause", "ClusterTrain:Cluster:HeartbeatInterval", "ClusterTrain:Cluster:DowningStableAfter"], keys);
    }

    [Fact]
    public async Task The_downing_stable_after_option_reaches_the_split_brain_resolver()
    {
        var options = new ClusterOptions { DowningStableAfter = TimeSpan.FromMilliseconds(2500) };
        using var host = new HostBuilder()
            .ConfigureServices(s => s.AddAkka(options.SystemName, (builder, _) => builder.AddClusterTrainAkka(options, ClusterRoles.Coordinator)))
            .Build();
        await host.StartAsync();

        var config = host.Services.GetRequiredService<Akka.Actor.ActorSystem>().Settings.Config;

        Assert.Equal(TimeSpan.FromMilliseconds(2500), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        await host.StopAsync();
    }

    [Fact]
    public void Cpu_slots_share_the_thread_budget_and_each_gets_at_least_one()
    {
        var four = SlotPlan.For(new NodeOptions { Slots = 2, Threads = 8 }, cudaDevices: 0);
        var many = SlotPlan.For(new NodeOptions { Slots = 3, Threads = 2 }, cudaDevices: 0);

        Assert.Equal([new SlotDevice(0, "cpu", 4), new SlotDevice(1, "cpu", 4)], four);
        Assert.All(many, s => Assert.Equal(("cpu", 1), (s.Device, s.Threads)));
    }

    [Fact]
    public void Without_a_slot_count_a_cuda_machine_gets_one_slot_per_device()
    {
        var slots = SlotPlan.For(new NodeOptions { Threads = 8 }, cudaDevices: 2);

        Assert.Equal(["cuda:0", "cuda:1"], slots.Select(s => s.Device));
    }
}
