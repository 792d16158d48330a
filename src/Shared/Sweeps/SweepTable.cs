using System.Globalization;
using System.Text;

namespace ClusterTrain.Shared.Sweeps;

/// <summary>The expanded trials as a plain fixed-width text table, for `clustertrain validate`.</summary>
public static class SweepTable
{
    /// <summary>
    /// Columns #, trial, label, one per grid key, seed; then "N trials (G grid combinations x S seeds)".
    /// Columns are two spaces apart, each as wide as its widest cell; numbers align right.
    /// </summary>
    public static string Format(SweepSpec spec, IReadOnlyList<TrialSpec> trials)
    {
        var header = new List<string> { "#", "trial", "label" };
        header.AddRange(spec.Grid.Select(a => a.Key));
        header.Add("seed");
        var rows = trials.Select(t => new List<string> { Number(t.Index), t.TrialId, t.Label }
            .Concat(spec.Grid.Select(a => t.GridValues[a.Key]))
            .Append(Number(t.Seed))
            .ToList()).ToList();
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Prepend(h.Length).Max()).ToList();
        var rightAligned = new HashSet<int> { 0, header.Count - 1 };

        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells) => text.Append(string.Join("  ",
            cells.Select((cell, c) => rightAligned.Contains(c) ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd()).Append('\n');
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToList());
        foreach (var row in rows) Line(row);
        return text.Append(SizeLine(spec)).Append('\n').ToString();
    }

    /// <summary>"4 trials (2 grid combinations x 2 seeds)".</summary>
    public static string SizeLine(SweepSpec spec) =>
        $"{Count(spec.TrialCount, "trial")} ({Count(spec.Combinations, "grid combination")} x {Count(spec.Seeds.Count, "seed")})";

    /// <summary>"1 seed", "10,001 trials".</summary>
    internal static string Count(long n, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{n:N0} {noun}{(n == 1 ? "" : "s")}");

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
