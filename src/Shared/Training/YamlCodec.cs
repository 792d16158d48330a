using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Shared.Training;

/// <summary>Reads a typed value from a YAML node (throwing <see cref="YamlValueException"/>) and writes it back as YAML flow text.</summary>
internal sealed record YamlCodec<T>(Func<YamlNode, T> Read, Func<T, string> Write);

/// <summary>A YAML value that does not fit its key; caught per key so that reading carries on.</summary>
internal sealed class YamlValueException(YamlNode node, string message) : Exception(message)
{
    public int Line { get; } = checked((int)node.Start.Line);
}
