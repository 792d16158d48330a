namespace ClusterTrain.GpuNode.Data;

/// <summary>
/// SplitMix64: a small, fully specified generator, so that shuffles and augmentation draws are a pure
/// function of their seeds on every machine, device and libtorch version (torch's own generators differ
/// between CPU and CUDA and may change between releases, which would break resuming a run).
/// </summary>
internal sealed class DeterministicRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>Combines a seed and coordinates (stream, epoch, batch...) into an independent seed.</summary>
    public static ulong Mix(long seed, params ReadOnlySpan<long> coordinates)
    {
        var h = Finalize(unchecked((ulong)seed) ^ 0x9E3779B97F4A7C15UL);
        foreach (var c in coordinates) h = Finalize(h ^ Finalize(unchecked((ulong)c) + 0x632BE59BD9B4E019UL));
        return h;
    }

    public ulong NextUInt64()
    {
        _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
        return Finalize(_state);
    }

    /// <summary>Uniform in [0, bound) without modulo bias (Lemire's multiply-and-reject).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "must be positive");
        var threshold = (0UL - (ulong)bound) % (ulong)bound;
        while (true)
        {
            var product = Math.BigMul(NextUInt64(), (ulong)bound, out var low);
            if (low >= threshold) return (int)product;
        }
    }

    /// <summary>0, 1, ..., count-1 in Fisher-Yates order.</summary>
    public long[] Permutation(int count)
    {
        var order = new long[count];
        for (var i = 0; i < count; i++) order[i] = i;
        for (var i = count - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static ulong Finalize(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
