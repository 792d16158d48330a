namespace ClusterTrain.Shared.GradientStats;

/// <summary>
/// Streaming count, mean and sum of squared deviations (Welford), mergeable exactly (Chan et al. 1979),
/// so moments computed on parts (steps, seeds, nodes) combine into the moments of the whole.
/// Non-finite inputs are counted in <see cref="NonFinite"/> and otherwise ignored: one diverged value
/// must not turn every later mean into NaN.
/// </summary>
public sealed class RunningMoments
{
    /// <summary>Finite values pushed.</summary>
    public long Count { get; private set; }

    /// <summary>NaN or infinite values pushed (and ignored).</summary>
    public long NonFinite { get; private set; }

    private double _mean;

    /// <summary>Mean of the finite values; NaN when there are none.</summary>
    public double Mean => Count > 0 ? _mean : double.NaN;

    /// <summary>Sum of squared deviations from the mean.</summary>
    public double M2 { get; private set; }

    /// <summary>M2 / Count; NaN when empty.</summary>
    public double PopulationVariance => Count > 0 ? M2 / Count : double.NaN;

    /// <summary>M2 / (Count - 1); NaN below two values.</summary>
    public double SampleVariance => Count > 1 ? M2 / (Count - 1) : double.NaN;

    /// <summary>Square root of <see cref="PopulationVariance"/>.</summary>
    public double Std => Math.Sqrt(PopulationVariance);

    /// <summary>Square root of <see cref="SampleVariance"/>.</summary>
    public double SampleStd => Math.Sqrt(SampleVariance);

    public static RunningMoments Of(IEnumerable<double> values)
    {
        var moments = new RunningMoments();
        foreach (var value in values) moments.Push(value);
        return moments;
    }

    /// <summary>Moments already summarised elsewhere, e.g. a <see cref="LayerGradientStats"/>.</summary>
    public static RunningMoments FromSummary(long count, double mean, double populationVariance, long nonFinite = 0)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "A count cannot be negative.");
        if (nonFinite < 0) throw new ArgumentOutOfRangeException(nameof(nonFinite), nonFinite, "A count cannot be negative.");
        return count == 0
            ? new RunningMoments { NonFinite = nonFinite }
            : new RunningMoments { Count = count, _mean = mean, M2 = populationVariance * count, NonFinite = nonFinite };
    }

    public void Push(double value)
    {
        if (!double.IsFinite(value))
        {
            NonFinite++;
            return;
        }
        Count++;
        var delta = value - _mean;
        _mean += delta / Count;
        M2 += delta * (value - _mean);
    }

    /// <summary>Adds <paramref name="other"/>'s values to these, as if they had been pushed here.</summary>
    public void Merge(RunningMoments other)
    {
        NonFinite += other.NonFinite;
        if (other.Count == 0) return;
        if (Count == 0)
        {
            Count = other.Count;
            _mean = other._mean;
            M2 = other.M2;
            return;
        }
        double n1 = Count, n2 = other.Count, n = n1 + n2;
        var delta = other._mean - _mean;
        _mean += delta * n2 / n;
        M2 += other.M2 + delta * delta * n1 * n2 / n;
        Count += other.Count;
    }
}
