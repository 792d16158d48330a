namespace ClusterTrain.Shared.GradientStats;

/// <summary>
/// Fixed bins over log10|g| so that histograms from any step, seed, trial or node add up exactly.
/// Layout of a counts array (length Bins + 2): [0] holds |g| below 10^MinLog10, exact zeros included;
/// [1..Bins] split [MinLog10, MaxLog10) evenly in log10; [Bins + 1] holds |g| at or above 10^MaxLog10.
/// Non-finite values are never binned; they are counted separately.
/// </summary>
public sealed record HistogramSpec(int Bins, int MinLog10, int MaxLog10)
{
    public int Length => Bins + 2;

    public double BinWidthLog10 => (double)(MaxLog10 - MinLog10) / Bins;

    /// <summary>Lower edge (log10) of counts slot <paramref name="slot"/>; slot 0 has -infinity.</summary>
    public double LowerEdgeLog10(int slot) =>
        slot == 0 ? double.NegativeInfinity : MinLog10 + (slot - 1) * BinWidthLog10;

    /// <summary>The counts slot a finite magnitude falls in.</summary>
    public int SlotOf(double magnitude)
    {
        if (!(magnitude >= Math.Pow(10, MinLog10))) return 0;
        if (magnitude >= Math.Pow(10, MaxLog10)) return Bins + 1;
        var slot = 1 + (int)Math.Floor((Math.Log10(magnitude) - MinLog10) / BinWidthLog10);
        return Math.Clamp(slot, 1, Bins);
    }
}
