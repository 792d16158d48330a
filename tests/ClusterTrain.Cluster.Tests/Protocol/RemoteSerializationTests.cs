using System.Runtime.Serialization;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.Shared.Cluster;

namespace ClusterTrain.Cluster.Tests.Protocol;

/// <summary>A coordinator member and a GPU member, joined over loopback TCP, shared by the tests below.</summary>
public sealed class TwoMembers : IAsyncLifetime
{
    internal ClusterMember Coordinator { get; private set; } = null!;

    internal ClusterMember Gpu { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Coordinator = await ClusterMember.StartAsync(ClusterRoles.Coordinator);
        Gpu = await ClusterMember.StartAsync(ClusterRoles.Gpu, [Coordinator.Address]);
    }

    public async Task DisposeAsync()
    {
        await Gpu.DisposeAsync();
        await Coordinator.DisposeAsync();
    }
}

public class RemoteSerializationTests(TwoMembers members) : IClassFixture<TwoMembers>
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(10);

    /// <summary>A message type the protocol does not know: it has no binding.</summary>
    private sealed record NotInTheProtocol(string Text);

    [Fact]
    public void A_frame_sized_statistics_batch_crosses_real_remoting_intact()
    {
        var receiver = new TestKit(members.Coordinator.System).CreateTestProbe();
        var batch = GradientStatsBatching.Cut("sweep", "trial", 1, 1, Enumerable.Range(0, 3).Select(i => Stats.Snapshot(i))).First();
        Assert.True(GradientStatsBatching.EncodedSize(batch) > 60_000, "the batch should fill most of a frame");

        RemoteSelection(receiver.Ref).Tell(batch);

        var received = receiver.ExpectMsg<GradientStatsBatch>(Delivery);
        Assert.NotSame(batch, received);
        Assert.Equal(batch, received);
    }

    [Fact]
    public void A_message_type_without_a_binding_is_refused_and_never_delivered()
    {
        var receiver = new TestKit(members.Coordinator.System).CreateTestProbe();
        var selection = RemoteSelection(receiver.Ref);

        selection.Tell(new NotInTheProtocol("should never arrive"));
        selection.Tell(new TrialStillRunning("sweep", "trial", 1));

        // Messages between two actors arrive in the order sent: the registered one coming first proves the other was dropped.
        receiver.ExpectMsg<TrialStillRunning>(Delivery);
        Assert.Throws<SerializationException>(() => members.Gpu.System.Serialization.FindSerializerFor(new NotInTheProtocol("x")));
    }

    [Fact]
    public void Every_protocol_type_is_bound_to_the_protocol_serializer()
    {
        var serialization = members.Gpu.System.Serialization;

        Assert.All(ProtocolCodec.MessageTypes, type => Assert.IsType<ProtocolSerializer>(serialization.FindSerializerForType(type)));
    }

    /// <summary><paramref name="target"/>, in the coordinator's system, as the GPU member reaches it over TCP.</summary>
    private ActorSelection RemoteSelection(IActorRef target) =>
        members.Gpu.System.ActorSelection(target.Path.ToStringWithAddress(members.Coordinator.Address));
}
