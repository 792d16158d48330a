using System.Reflection;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Benchmarks;

/// <summary>What a benchmark ran on, for the header of its report.</summary>
/// <param name="Cores">Logical processors this process may use (as nproc counts them).</param>
/// <param name="TorchThreads">torch's intra-op threads after the benchmark's setting.</param>
public sealed record MachineInfo(int Cores, string CpuModel, int TorchThreads, string Device, string TorchSharpVersion)
{
    /// <summary>Call after the thread count has been set (<see cref="Training.TorchRuntime.Configure"/>).</summary>
    public static MachineInfo Describe(Device device) => new(
        Environment.ProcessorCount,
        ReadCpuModel(),
        get_num_threads(),
        device.ToString(),
        // The informational version carries "+<commit>" after the release number.
        typeof(TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? "unknown");

    public static string ReadCpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo)) return "unknown CPU";
        var line = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
    }
}
