using Akka.Hosting;
using ClusterTrain.GpuNode.Cluster.Internal;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>The Akka.Hosting set-up of a GPU node member.</summary>
public static class NodeHosting
{
    /// <summary>Name of the node actor, at /user/gpu-node; its slots are /user/gpu-node/slot-N.</summary>
    public const string ActorName = "gpu-node";

    /// <summary>
    /// The <see cref="GpuNodeActor"/> with its slots (one per CUDA device, or <see cref="NodeOptions.Slots"/> CPU slots),
    /// pulling work through the <see cref="SweepCoordinatorProxy"/>. Use with <see cref="ClusterTrainAkka.AddClusterTrainAkka"/> as role <c>gpu</c>.
    /// </summary>
    /// <param name="process">How to start a trial's child process, usually <see cref="TrialProcessOptions.CurrentProgram"/>.</param>
    /// <param name="shutdowns">Collects the trials the node stops when it stops, for the hosting process to await.</param>
    /// <exception cref="ConfigException">The options are unusable; every problem names its key.</exception>
    public static AkkaConfigurationBuilder AddGpuNode(
        this AkkaConfigurationBuilder builder, NodeOptions options, TrialProcessOptions process, TrialShutdowns? shutdowns = null)
    {
        shutdowns ??= new TrialShutdowns();
        var problems = options.Check();
        if (problems.Count > 0) throw new ConfigException(problems);
        // Slots on CPU are asked for explicitly; only without a count does the node look for CUDA devices.
        var slots = SlotPlan.For(options, options.Slots is null ? SlotPlan.CudaDevices() : 0);
        return builder.WithActors((system, registry) =>
        {
            var node = system.ActorOf(GpuNodeActor.Props(slots, options, process, registry.Get<SweepCoordinatorProxy>(), shutdowns), ActorName);
            system.ActorOf(CoordinatorWatch.Props(), "coordinator-watch");
            registry.Register<GpuNodeActor>(node);
        });
    }
}
