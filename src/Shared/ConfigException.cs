namespace ClusterTrain.Shared;

/// <summary>A configuration cannot be used; <see cref="Problems"/> lists everything wrong with it, one per line of the message.</summary>
public sealed class ConfigException(IReadOnlyList<Problem> problems)
    : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<Problem> Problems { get; } = problems;
}
