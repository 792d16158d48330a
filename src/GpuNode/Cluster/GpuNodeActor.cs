using Akka.Actor;
using Akka.Event;
using ClusterTrain.GpuNode.Worker;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// The GPU node (role <c>gpu</c>): one <see cref="SlotActor"/> child per slot, one slot per device, so two trials
/// never share a device and the node never runs more trials than it has slots. A slot that fails is restarted
/// (its process is killed first, in PostStop), and asks for work again.
/// </summary>
public sealed class GpuNodeActor : ReceiveActor
{
    public static Props Props(IReadOnlyList<SlotDevice> slots, NodeOptions options, TrialProcessOptions process, IActorRef coordinator, TrialShutdowns shutdowns) =>
        Akka.Actor.Props.Create(() => new GpuNodeActor(slots, options, process, coordinator, shutdowns));

    public GpuNodeActor(IReadOnlyList<SlotDevice> slots, NodeOptions options, TrialProcessOptions process, IActorRef coordinator, TrialShutdowns shutdowns)
    {
        var log = Context.GetLogger();
        foreach (var slot in slots)
            Context.ActorOf(SlotActor.Props(slot, options, process, coordinator, shutdowns), $"slot-{slot.Index}");
        log.Info("GPU node with {0} slot(s): {1}", slots.Count, string.Join(", ", slots.Select(s => $"{s.Device} ({s.Threads} threads)")));
    }
}
