namespace ClusterTrain.Shared.Sweeps;

public sealed record Assignment(TrialSpec Trial, TrialSlot Slot);

/// <summary>Which pending trials start where: pure decisions for the coordinator to carry out.</summary>
public static class Scheduler
{
    /// <summary>
    /// Pending trials, lowest index first, paired with free slots. Never more than there are free slots, nor
    /// more than the concurrency limit leaves room for. Slots are dealt round-robin over the nodes, the node
    /// with most free slots first (ties by name), so that work spreads over every node with room.
    /// </summary>
    /// <param name="concurrencyLimit">Most trials running at once; 0 for no limit.</param>
    public static IReadOnlyList<Assignment> NextAssignments(
        IEnumerable<TrialSpec> pendingTrials, IEnumerable<TrialSlot> freeSlots, int runningCount, int concurrencyLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(runningCount);
        ArgumentOutOfRangeException.ThrowIfNegative(concurrencyLimit);
        var room = concurrencyLimit == 0 ? int.MaxValue : Math.Max(0, concurrencyLimit - runningCount);
        return pendingTrials.OrderBy(t => t.Index)
            .Zip(RoundRobin(freeSlots))
            .Take(room)
            .Select(pair => new Assignment(pair.First, pair.Second))
            .ToList();
    }

    private static IEnumerable<TrialSlot> RoundRobin(IEnumerable<TrialSlot> slots)
    {
        var nodes = slots.Distinct()
            .GroupBy(s => s.Node)
            .Select(g => g.OrderBy(s => s.Index).ToList())
            .OrderByDescending(g => g.Count).ThenBy(g => g[0].Node, StringComparer.Ordinal)
            .ToList();
        for (var round = 0; round < (nodes.Count == 0 ? 0 : nodes[0].Count); round++)
            foreach (var node in nodes.TakeWhile(n => round < n.Count))
                yield return node[round];
    }
}
