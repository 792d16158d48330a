namespace ClusterTrain.GpuNode.Cluster;

/// <summary>What one slot trains on.</summary>
/// <param name="Device">"cuda:1" or "cpu".</param>
/// <param name="Threads">The slot's CPU thread budget: a trial in it never uses more.</param>
public sealed record SlotDevice(int Index, string Device, int Threads);
