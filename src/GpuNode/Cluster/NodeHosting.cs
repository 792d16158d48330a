using Akka;
using Akka.Actor;
using Akka.Event;
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
    /// How much longer than <see cref="NodeOptions.StopGrace"/> a stopping node waits for its trials before it leaves
    /// the cluster: a trial killed at the end of its grace still has to exit, and its slot to stop first.
    /// </summary>
    public static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan SlotsStopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The <see cref="GpuNodeActor"/> with its slots (one per CUDA device, or <see cref="NodeOptions.Slots"/> CPU slots),
    /// pulling work through the <see cref="SweepCoordinatorProxy"/>. Use with <see cref="ClusterTrainAkka.AddClusterTrainAkka"/> as role <c>gpu</c>.
    /// When the member stops (CoordinatedShutdown, whatever started it), its trials stop first, each writing its
    /// checkpoint, and only then does it leave the cluster (see <see cref="StopTrialsAsync"/>).
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
        var own = shutdowns.ForNode();
        // The phase that stops the trials runs before the cluster phases (leave, exiting): it may take as long as a
        // trial's grace, where Akka gives every phase 5 s. Akka.Hosting has no option for it: this key goes in as configuration.
        builder.AddDuration("akka:coordinated-shutdown:phases:before-cluster-shutdown:timeout", options.StopGrace + StopMargin);
        return builder.WithActors((system, registry) =>
        {
            var node = system.ActorOf(GpuNodeActor.Props(slots, options, process, registry.Get<SweepCoordinatorProxy>(), own), ActorName);
            system.ActorOf(CoordinatorWatch.Props(), "coordinator-watch");
            registry.Register<GpuNodeActor>(node);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "stop-trials",
                () => StopTrialsAsync(system, node, own, options.StopGrace));
        });
    }

    /// <summary>
    /// Stops the node's slots, so that none asks for work again and each asks its trial to stop (SlotActor.PostStop:
    /// the worker finishes its step and writes its checkpoint), then waits for those trials to end, a bounded time.
    /// Only then does the member leave; the coordinator, seeing it removed, requeues the attempts without counting
    /// them, and the next attempt, on another node, resumes from the checkpoint each trial has just written, never
    /// from an older one while the stopping worker still trains into the same folder.
    /// </summary>
    private static async Task<Done> StopTrialsAsync(ActorSystem system, IActorRef node, TrialShutdowns trials, TimeSpan grace)
    {
        var before = trials.Count;
        try
        {
            await node.GracefulStop(SlotsStopTimeout);
        }
        catch (Exception e) when (e is OperationCanceledException or AskTimeoutException)
        {
            system.Log.Warning("The slots of this node did not stop within {0}; leaving the cluster with whatever they run", SlotsStopTimeout);
            return Done.Instance;
        }
        if (trials.Count == before) return Done.Instance;
        system.Log.Info("Stopping {0} trial(s) before this node leaves the cluster", trials.Count - before);
        try
        {
            await trials.WhenAllEndedAsync().WaitAsync(grace + StopMargin - SlotsStopTimeout);
        }
        catch (TimeoutException)
        {
            system.Log.Warning("The trials of this node did not end within {0}; leaving the cluster anyway", grace + StopMargin);
        }
        catch (Exception e)
        {
            // A stop that failed (the process was gone already) leaves nothing to wait for.
            system.Log.Warning("Stopping a trial failed: {0}", e.Message);
        }
        return Done.Instance;
    }
}
