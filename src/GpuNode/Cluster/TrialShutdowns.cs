using System.Collections.Concurrent;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// The trials a stopping node asked to stop (each checkpoints, then ends). A process that hosts nodes awaits
/// <see cref="WhenAllEndedAsync"/> before it exits, so that the next run finds every checkpoint complete.
/// </summary>
public sealed class TrialShutdowns
{
    private readonly ConcurrentBag<Task> _stopping = [];

    internal void Add(Task stopping) => _stopping.Add(stopping);

    public Task WhenAllEndedAsync() => Task.WhenAll(_stopping);
}
