namespace ClusterTrain.GpuNode.Benchmarks;

/// <summary>Durations of the timed steps of one lane, in seconds.</summary>
public sealed class StepTimes
{
    public StepTimes(IEnumerable<double> seconds)
    {
        Seconds = seconds.ToArray();
        if (Seconds.Count == 0) throw new ArgumentException("No timed steps were recorded.", nameof(seconds));
    }

    public IReadOnlyList<double> Seconds { get; }
    public int Count => Seconds.Count;
    public double Mean => Seconds.Average();

    /// <summary>Robust to the odd step that another process on the machine slowed down.</summary>
    public double Median
    {
        get
        {
            var sorted = Seconds.Order().ToArray();
            var middle = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }
}
