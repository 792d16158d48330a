using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Training;

/// <summary>Process-wide torch settings: device choice, thread count, seeding.</summary>
public static class TorchRuntime
{
    /// <summary>"auto" picks cuda:0 when CUDA is present, else the CPU; "cpu" and "cuda:N" are taken as given.</summary>
    public static Device ResolveDevice(string requested)
    {
        var text = string.IsNullOrWhiteSpace(requested) ? "auto" : requested.Trim().ToLowerInvariant();
        if (text == "auto") return cuda.is_available() ? CUDA : CPU;
        if (text == "cpu") return CPU;
        if (text.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ArgumentException($"device '{requested}' was asked for, but CUDA is not available (CPU build or no GPU).");
            var index = text == "cuda" ? 0 : int.TryParse(text.AsSpan(5), out var i) ? i : -1;
            if (index < 0 || index >= cuda.device_count())
                throw new ArgumentException($"device '{requested}' does not exist: {cuda.device_count()} CUDA device(s) present.");
            return new Device(TorchSharp.DeviceType.CUDA, index);
        }
        throw new ArgumentException($"device '{requested}' is not one of auto, cpu, cuda, cuda:N.");
    }

    public static void Configure(int threads, int seed)
    {
        if (threads > 0) set_num_threads(threads);
        manual_seed(seed);
        if (cuda.is_available()) cuda.manual_seed_all(seed);
    }
}
