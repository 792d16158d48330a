using TorchSharp;

namespace ClusterTrain.GpuNode.Cluster.Internal;

internal static class SlotPlan
{
    /// <summary>
    /// One slot per CUDA device, or with none <see cref="NodeOptions.Slots"/> CPU slots (default one). The node passes
    /// devices only while <see cref="NodeOptions.Slots"/> is unset (NodeHosting), so a set count means exactly that many
    /// CPU slots and no GPU; given devices and a count anyway, at most that many devices get a slot.
    /// </summary>
    public static IReadOnlyList<SlotDevice> For(NodeOptions options, int cudaDevices)
    {
        var cores = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        if (cudaDevices > 0)
        {
            var count = Math.Min(options.Slots ?? cudaDevices, cudaDevices);
            return Enumerable.Range(0, count).Select(i => new SlotDevice(i, $"cuda:{i}", Math.Max(1, cores / count))).ToList();
        }
        var slots = options.Slots ?? 1;
        return Enumerable.Range(0, slots).Select(i => new SlotDevice(i, "cpu", Math.Max(1, cores / slots))).ToList();
    }

    public static int CudaDevices() => torch.cuda.is_available() ? torch.cuda.device_count() : 0;
}
