using System.Collections.Concurrent;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// The trials a stopping node asked to stop (each checkpoints, then ends). The node awaits its own before it leaves
/// the cluster (<see cref="NodeHosting.AddGpuNode"/>); a process that hosts nodes awaits <see cref="WhenAllEndedAsync"/>
/// again before it exits, for a node that stopped without leaving (downed) or whose trials outlasted that wait.
/// </summary>
public sealed class TrialShutdowns
{
    private readonly ConcurrentBag<Task> _stopping = [];
    private readonly TrialShutdowns? _parent;

    public TrialShutdowns()
    {
    }

    private TrialShutdowns(TrialShutdowns parent) => _parent = parent;

    /// <summary>How many trials were asked to stop.</summary>
    internal int Count => _stopping.Count;

    /// <summary>One node's share: what it adds is added here too, and the node waits for its own trials only.</summary>
    internal TrialShutdowns ForNode() => new(this);

    internal void Add(Task stopping)
    {
        _stopping.Add(stopping);
        _parent?.Add(stopping);
    }

    public Task WhenAllEndedAsync() => Task.WhenAll(_stopping);
}
