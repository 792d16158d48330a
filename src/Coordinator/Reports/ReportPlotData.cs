using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Coordinator.Reports;

public sealed record SeriesPoint(double X, double Y);

/// <summary>One line of a plot.</summary>
/// <param name="Residual">Drawn in the residual style (solid, cool colours) rather than the plain one (dashed, warm).</param>
public sealed record PlotSeries(string Label, bool Residual, IReadOnlyList<SeriesPoint> Points);

/// <summary>One layer's gradient-magnitude histograms over training.</summary>
/// <param name="Counts">[slot, step] counts, slots laid out by the trial's <see cref="HistogramSpec"/>; -1 where the step has no histogram.</param>
public sealed record HistogramPanel(int LayerIndex, string Layer, IReadOnlyList<long> Steps, long[,] Counts);

/// <summary>The histograms of a few layers of one trial, from the input side to the output side.</summary>
public sealed record HistogramHeatmap(string TrialId, string Label, HistogramSpec Spec, IReadOnlyList<HistogramPanel> Panels);

/// <summary>
/// What the report's plots show, built from trial results and gradient snapshots alone (no drawing), so that it can be
/// checked on hand-made inputs. Values are means over the seeds of a configuration; any trial with snapshots counts,
/// finished or not, so that a sweep with failed or diverged trials still plots what it has.
/// </summary>
/// <param name="GradientFlowAtStart">Per configuration: gradient L2 norm against layer index at each trial's first snapshot.</param>
/// <param name="GradientFlowAtEnd">The same at each trial's last snapshot.</param>
/// <param name="PlainTrainingCurves">Per plain configuration: mean training error (since the previous snapshot) against step.</param>
/// <param name="ResidualTrainingCurves">The same for residual configurations.</param>
/// <param name="TestErrorByDepth">Per family (plain, residual, and any other grid value but depth): final test error against depth.</param>
/// <param name="Heatmap">The histograms of the chosen trial; null when no trial has snapshots.</param>
public sealed record ReportPlotData(
    IReadOnlyList<PlotSeries> GradientFlowAtStart,
    IReadOnlyList<PlotSeries> GradientFlowAtEnd,
    IReadOnlyList<PlotSeries> PlainTrainingCurves,
    IReadOnlyList<PlotSeries> ResidualTrainingCurves,
    IReadOnlyList<PlotSeries> TestErrorByDepth,
    HistogramHeatmap? Heatmap)
{
    /// <summary>Grid keys that the family-by-depth plot draws on its axes or by line style.</summary>
    private static readonly string[] DrawnKeys = ["model.depth", "model.shortcuts"];

    /// <param name="trials">The expanded sweep, in order.</param>
    /// <param name="reports">Trial reports by trial id; a trial without one has no result.</param>
    /// <param name="snapshots">Each trial's snapshots in step order (empty when it has none).</param>
    /// <param name="heatmapTrial">The trial whose histograms to draw (see <see cref="ChooseHeatmapTrial"/>).</param>
    public static ReportPlotData Build(
        IReadOnlyList<TrialSpec> trials,
        IReadOnlyDictionary<string, TrialReport> reports,
        Func<string, IReadOnlyList<GradientSnapshot>> snapshots,
        TrialSpec? heatmapTrial)
    {
        // Plain before residual, shallow before deep: the order of legends and of colours within a family.
        var configurations = trials
            .GroupBy(t => t.ConfigurationKey)
            .OrderBy(g => g.First().Config.Model.Shortcuts)
            .ThenBy(g => g.First().Config.Model.Depth)
            .ThenBy(g => g.First().Index)
            .Select(g => (Label: g.First().Label, Residual: g.First().Config.Model.Shortcuts,
                Snapshots: g.Select(t => snapshots(t.TrialId)).Where(s => s.Count > 0).ToList()))
            .Where(c => c.Snapshots.Count > 0)
            .ToList();

        PlotSeries Flow((string Label, bool Residual, List<IReadOnlyList<GradientSnapshot>> Snapshots) c, Func<IReadOnlyList<GradientSnapshot>, GradientSnapshot> pick) =>
            new(c.Label, c.Residual, MeanBy(c.Snapshots.SelectMany(s => pick(s).Layers).Select(l => ((double)l.Index, l.L2Norm))));
        PlotSeries Curve((string Label, bool Residual, List<IReadOnlyList<GradientSnapshot>> Snapshots) c) =>
            new(c.Label, c.Residual, MeanBy(c.Snapshots.SelectMany(s => s).Select(s => ((double)s.Step, s.TrainError))));

        return new ReportPlotData(
            configurations.Select(c => Flow(c, s => s[0])).ToList(),
            configurations.Select(c => Flow(c, s => s[^1])).ToList(),
            configurations.Where(c => !c.Residual).Select(Curve).Where(s => s.Points.Count > 0).ToList(),
            configurations.Where(c => c.Residual).Select(Curve).Where(s => s.Points.Count > 0).ToList(),
            TestErrors(trials, reports),
            heatmapTrial is null ? null : Histograms(heatmapTrial, snapshots(heatmapTrial.TrialId)));
    }

    /// <summary>
    /// The trial named by <paramref name="wanted"/> (its id, a unique id prefix, or its label with " seed=N" for one seed),
    /// or by default the deepest plain net that has snapshots (its first seed), else the deepest net that has any.
    /// </summary>
    /// <exception cref="ArgumentException">No trial, or several, answer to <paramref name="wanted"/>; the message lists the labels.</exception>
    public static TrialSpec? ChooseHeatmapTrial(IReadOnlyList<TrialSpec> trials, Func<string, IReadOnlyList<GradientSnapshot>> snapshots, string? wanted)
    {
        if (wanted is not null)
        {
            var matches = trials.Where(t => t.TrialId == wanted).ToList();
            if (matches.Count == 0) matches = trials.Where(t => t.TrialId.StartsWith(wanted, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count == 0) matches = trials.Where(t => string.Equals(t.Label, wanted, StringComparison.OrdinalIgnoreCase)
                || string.Equals($"{t.Label} seed={t.Seed}", wanted, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count == 1) return matches[0];
            var known = string.Join(", ", trials.Select(t => $"'{t.Label} seed={t.Seed}' ({t.TrialId})"));
            throw new ArgumentException(matches.Count == 0
                ? $"heatmap trial '{wanted}' names no trial of the sweep; its trials are {known}."
                : $"heatmap trial '{wanted}' names {matches.Count} trials; add ' seed=N' or give the trial id. Its trials are {known}.");
        }
        var withSnapshots = trials.Where(t => snapshots(t.TrialId).Count > 0).ToList();
        return withSnapshots
            .OrderBy(t => t.Config.Model.Shortcuts)
            .ThenByDescending(t => t.Config.Model.Depth)
            .ThenBy(t => t.Index)
            .FirstOrDefault();
    }

    private static IReadOnlyList<PlotSeries> TestErrors(IReadOnlyList<TrialSpec> trials, IReadOnlyDictionary<string, TrialReport> reports) =>
        trials
            .GroupBy(t => (t.Config.Model.Shortcuts, Others: string.Join(" ", t.GridValues.Where(v => !DrawnKeys.Contains(v.Key))
                .OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key[(v.Key.LastIndexOf('.') + 1)..]}={v.Value}"))))
            .OrderBy(g => g.Key.Shortcuts)
            .ThenBy(g => g.First().Index)
            .Select(g => new PlotSeries(
                string.Join(" ", new[] { g.Key.Shortcuts ? "residual" : "plain", g.Key.Others }.Where(p => p.Length > 0)),
                g.Key.Shortcuts,
                MeanBy(g.Select(t => reports.TryGetValue(t.TrialId, out var r) ? (t, r.Result?.TestError) : (t, null))
                    .Where(x => x.Item2 is not null)
                    .Select(x => ((double)x.t.Config.Model.Depth, x.Item2!.Value)))))
            .Where(s => s.Points.Count > 0)
            .ToList();

    /// <summary>Mean of the finite y values at each x, in ascending x; an x with none is left out.</summary>
    private static IReadOnlyList<SeriesPoint> MeanBy(IEnumerable<(double X, double Y)> values) =>
        values.Where(v => double.IsFinite(v.Y))
            .GroupBy(v => v.X)
            .OrderBy(g => g.Key)
            .Select(g => new SeriesPoint(g.Key, g.Average(v => v.Y)))
            .ToList();

    private static HistogramHeatmap? Histograms(TrialSpec trial, IReadOnlyList<GradientSnapshot> snapshots)
    {
        if (snapshots.Count == 0) return null;
        var stats = trial.Config.Stats;
        var spec = new HistogramSpec(stats.HistogramBins, stats.HistogramMinLog10, stats.HistogramMaxLog10);
        var layers = snapshots.SelectMany(s => s.Layers).GroupBy(l => l.Index).OrderBy(g => g.Key).Select(g => g.First()).ToList();
        if (layers.Count == 0) return null;
        // The first and last layers and two between them: enough to see magnitudes change with depth, large enough to read.
        var picked = new[] { 0, (layers.Count - 1) / 3, 2 * (layers.Count - 1) / 3, layers.Count - 1 }.Distinct().Select(i => layers[i]);
        var steps = snapshots.Select(s => s.Step).ToList();
        var panels = picked.Select(layer =>
        {
            var counts = new long[spec.Length, steps.Count];
            for (var column = 0; column < steps.Count; column++)
            {
                var histogram = snapshots[column].Layers.FirstOrDefault(l => l.Index == layer.Index)?.Histogram;
                for (var slot = 0; slot < spec.Length; slot++)
                    counts[slot, column] = histogram is not null && histogram.Count == spec.Length ? histogram[slot] : -1;
            }
            return new HistogramPanel(layer.Index, layer.Name, steps, counts);
        }).ToList();
        return new HistogramHeatmap(trial.TrialId, $"{trial.Label} seed={trial.Seed}", spec, panels);
    }
}
