using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Benchmarks;

internal static class DeviceSync
{
    /// <summary>CUDA kernels run asynchronously: wait for them before reading a clock. CPU work is synchronous.</summary>
    internal static void Wait(Device device)
    {
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize(device);
    }
}
