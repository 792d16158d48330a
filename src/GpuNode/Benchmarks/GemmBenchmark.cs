using System.Diagnostics;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Benchmarks;

/// <param name="Size">n of the n×n×n product.</param>
/// <param name="MedianSeconds">Median time of one product over the timed repetitions.</param>
public sealed record GemmResult(int Size, int Repetitions, double MedianSeconds)
{
    /// <summary>2·n³: a multiply and an add per (i, j, k).</summary>
    public double FlopsPerSecond => 2.0 * Size * Size * (double)Size / MedianSeconds;
}

/// <summary>
/// What the hardware and libtorch can do at best in fp32: a large square matrix product, the kernel that
/// convolutions are lowered to. A training loop's achieved FLOP/s over this is its efficiency.
/// </summary>
public static class GemmBenchmark
{
    public static GemmResult Measure(Device device, int size = 1024, int warmup = 3, int repetitions = 10)
    {
        using var scope = NewDisposeScope();
        var a = randn(size, size, device: device);
        var b = randn(size, size, device: device);
        var seconds = new List<double>();
        var clock = new Stopwatch();
        for (var i = 0; i < warmup + repetitions; i++)
        {
            clock.Restart();
            using (a.mm(b)) DeviceSync.Wait(device);
            clock.Stop();
            if (i >= warmup) seconds.Add(clock.Elapsed.TotalSeconds);
        }
        return new GemmResult(size, repetitions, new StepTimes(seconds).Median);
    }
}
