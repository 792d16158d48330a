using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// Restarts a node's membership when the last coordinator has left the cluster. A coordinator that stops gracefully
/// (Ctrl-C, SIGTERM, a rolling update) leaves rather than becoming unreachable, so the split brain resolver never downs
/// the nodes: they would stay in a cluster of their own that the restarted coordinator, forming a new cluster, never
/// joins. Leaving too (the trials checkpoint first) lets the hosting command start a fresh member that joins the
/// coordinator once it is back, as after a coordinator crash.
/// </summary>
public sealed class CoordinatorWatch : ReceiveActor
{
    public static Props Props() => Akka.Actor.Props.Create(() => new CoordinatorWatch());

    /// <summary>Why the node's actor system stopped: its coordinator left.</summary>
    public sealed class CoordinatorLeftReason : CoordinatedShutdown.Reason
    {
        public static readonly CoordinatorLeftReason Instance = new();

        private CoordinatorLeftReason() { }

        // The actor system stops, not the process: the hosting command starts a fresh member.
        public override int ExitCode => 0;
    }

    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);

    public CoordinatorWatch()
    {
        var log = Context.GetLogger();
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            if (!removed.Member.HasRole(ClusterRoles.Coordinator) || AnyCoordinatorRemains()) return;
            log.Warning("The coordinator {0} left the cluster; this node stops its trials and joins again", removed.Member.Address);
            CoordinatedShutdown.Get(Context.System).Run(CoordinatorLeftReason.Instance);
        });
    }

    private bool AnyCoordinatorRemains() =>
        _cluster.State.Members.Any(m => m.HasRole(ClusterRoles.Coordinator) && m.Status is not (MemberStatus.Removed or MemberStatus.Down or MemberStatus.Exiting));

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => _cluster.Unsubscribe(Self);
}
