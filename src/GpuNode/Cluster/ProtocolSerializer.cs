using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;
using ClusterTrain.Shared.Cluster;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// Akka's serializer for the ClusterTrain protocol and the coordinator's journal events: protobuf through
/// <see cref="ProtocolCodec"/>, one stable manifest per record type. Bound to exactly
/// <see cref="ProtocolCodec.MessageTypes"/> by <see cref="ClusterTrainAkka.AddClusterTrainAkka"/>.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Akka keeps 0-100 for itself; this id is stored with every journal event, so it never changes.</summary>
    public const int Id = 7310;

    public override int Identifier => Id;

    public override string Manifest(object o) => ProtocolCodec.ManifestOf(o);

    public override byte[] ToBinary(object obj) => ProtocolCodec.Encode(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            return ProtocolCodec.Decode(bytes, manifest);
        }
        catch (ArgumentException e)
        {
            // Akka.Remote and the journal expect this type for a manifest they cannot read.
            throw new SerializationException(e.Message, e);
        }
    }
}
