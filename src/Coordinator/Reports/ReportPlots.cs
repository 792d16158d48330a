using System.Globalization;
using ClusterTrain.Shared.GradientStats;
using ScottPlot;

namespace ClusterTrain.Coordinator.Reports;

/// <summary>A PNG of the report: its file name, size, and the words that go with it on the report page.</summary>
public sealed record ReportPlotFile(string FileName, string Title, string Caption, int Width, int Height);

/// <summary>
/// Draws <see cref="ReportPlotData"/> with ScottPlot. Plain nets are dashed in warm colours (light to dark with depth),
/// residual nets solid in cool colours, so the two families read apart even in grey print. Legends sit outside the
/// data area so that they never hide a curve. A plot with nothing to show says so in its middle.
/// </summary>
public static class ReportPlots
{
    public static readonly ReportPlotFile GradientFlowStart = new("gradient-flow-start.png",
        "Gradient flow at initialisation",
        "Gradient L2 norm of every weight layer at the first snapshot (log scale), input layer on the left; mean over seeds. "
        + "Plain nets dashed and warm, residual nets solid and cool.", 1100, 650);

    public static readonly ReportPlotFile GradientFlowEnd = new("gradient-flow-end.png",
        "Gradient flow at the end of training",
        "The same at each trial's last snapshot.", 1100, 650);

    public static readonly ReportPlotFile TrainingCurves = new("training-curves.png",
        "Training curves",
        "Training error against step, as in He et al. (2016), Figure 6: plain nets on the left, ResNets on the right, one line "
        + "per configuration; each point is the mean error over the steps since the previous snapshot, averaged over seeds.", 1600, 620);

    public static readonly ReportPlotFile TestErrorByDepth = new("test-error-by-depth.png",
        "Final test error against depth",
        "Test error at the end of training against depth, one line per family; mean over seeds.", 1000, 620);

    public static readonly ReportPlotFile GradientHistograms = new("gradient-histograms.png",
        "Gradient-magnitude histograms over training",
        "For one trial, four of its layers from input to output: x = step, y = log10|g| bin, colour = log10(1 + count) of "
        + "gradient elements in the bin (one colour scale for all panels). The bottom row holds |g| below the histogram range, "
        + "exact zeros included; the top row |g| above it.", 1600, 1100);

    /// <summary>Every plot, in the order the report page shows them.</summary>
    public static IReadOnlyList<ReportPlotFile> All { get; } =
        [GradientFlowStart, GradientFlowEnd, TrainingCurves, TestErrorByDepth, GradientHistograms];

    /// <summary>Draws every plot of <see cref="All"/>; <paramref name="writeFile"/> gets each file name and a function that saves it to a path.</summary>
    public static void WriteAll(ReportPlotData data, Action<string, Action<string>> writeFile)
    {
        writeFile(GradientFlowStart.FileName, path => GradientFlow(data.GradientFlowAtStart, "Gradient flow at initialisation (first snapshot)")
            .SavePng(path, GradientFlowStart.Width, GradientFlowStart.Height));
        writeFile(GradientFlowEnd.FileName, path => GradientFlow(data.GradientFlowAtEnd, "Gradient flow at the end of training (last snapshot)")
            .SavePng(path, GradientFlowEnd.Width, GradientFlowEnd.Height));
        writeFile(TrainingCurves.FileName, path => Curves(data).SavePng(path, TrainingCurves.Width, TrainingCurves.Height));
        writeFile(TestErrorByDepth.FileName, path => TestError(data.TestErrorByDepth).SavePng(path, TestErrorByDepth.Width, TestErrorByDepth.Height));
        writeFile(GradientHistograms.FileName, path => Histograms(data.Heatmap).SavePng(path, GradientHistograms.Width, GradientHistograms.Height));
    }

    private static Plot GradientFlow(IReadOnlyList<PlotSeries> series, string title)
    {
        var plot = NewPlot(title, "layer index (0 = input side)", "gradient L2 norm (log scale)");
        var logs = new List<double>();
        foreach (var (s, colour) in Coloured(series))
        {
            // A zero or non-finite norm has no place on a log scale.
            var points = s.Points.Where(p => p.Y > 0 && double.IsFinite(p.Y)).ToList();
            if (points.Count == 0) continue;
            var ys = points.Select(p => Math.Log10(p.Y)).ToArray();
            logs.AddRange(ys);
            Line(plot, s, points.Select(p => p.X).ToArray(), ys, colour);
        }
        if (logs.Count == 0) return Empty(plot, "no gradient statistics recorded");
        LogScaleY(plot, logs.Min(), logs.Max());
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Multiplot Curves(ReportPlotData data)
    {
        var panels = new List<Plot>();
        foreach (var (series, family) in new[] { (data.PlainTrainingCurves, "plain nets"), (data.ResidualTrainingCurves, "ResNets") })
        {
            var plot = NewPlot($"Training error, {family} (mean since the previous snapshot)", "training step", "training error (%)");
            foreach (var (s, colour) in Coloured(series))
                Line(plot, s, s.Points.Select(p => p.X).ToArray(), s.Points.Select(p => 100 * p.Y).ToArray(), colour);
            if (series.Count == 0) Empty(plot, $"no training curve of {family}");
            else plot.ShowLegend(Edge.Right);
            plot.Axes.SetLimitsY(0, 100);
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(10);
            panels.Add(plot);
        }
        return Figure(panels, new ScottPlot.MultiplotLayouts.Columns());
    }

    private static Plot TestError(IReadOnlyList<PlotSeries> series)
    {
        var plot = NewPlot("Final test error against depth", "depth (weight layers)", "test error (%)");
        foreach (var (s, colour) in Coloured(series))
            Line(plot, s, s.Points.Select(p => p.X).ToArray(), s.Points.Select(p => 100 * p.Y).ToArray(), colour, markerSize: 9);
        if (series.Count == 0) return Empty(plot, "no trial has a test error");
        var depths = series.SelectMany(s => s.Points).Select(p => p.X).Distinct().Order().ToArray();
        plot.Axes.Bottom.SetTicks(depths, depths.Select(d => d.ToString(CultureInfo.InvariantCulture)).ToArray());
        var errors = series.SelectMany(s => s.Points).Select(p => 100 * p.Y).ToList();
        plot.Axes.SetLimitsY(Math.Max(0, errors.Min() - 10), Math.Min(100, errors.Max() + 10));
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(5);
        plot.Axes.SetLimitsX(depths[0] - 2, depths[^1] + 2);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Multiplot Histograms(HistogramHeatmap? heatmap)
    {
        if (heatmap is null || heatmap.Panels.Count == 0)
            return Figure([Empty(NewPlot("Gradient-magnitude histograms over training", "training step", "log10 |gradient|"),
                "no gradient statistics recorded")], new ScottPlot.MultiplotLayouts.Columns());
        var spec = heatmap.Spec;
        var width = spec.BinWidthLog10;
        // Rows with a count in some panel, one empty row either side: the full range is mostly empty.
        var used = Enumerable.Range(0, spec.Length).Where(slot => heatmap.Panels.Any(p => Row(p, slot).Any(c => c > 0))).ToList();
        var (low, high) = used.Count == 0 ? (0, spec.Length - 1) : (Math.Max(0, used[0] - 1), Math.Min(spec.Length - 1, used[^1] + 1));
        var top = heatmap.Panels.Max(p => Enumerable.Range(low, high - low + 1).SelectMany(slot => Row(p, slot)).DefaultIfEmpty(0).Max());
        var colourRange = new ScottPlot.Range(0, Math.Log10(1 + Math.Max(1, top)));

        var panels = new List<Plot>();
        foreach (var panel in heatmap.Panels)
        {
            var plot = NewPlot($"{heatmap.Label}: layer {panel.LayerIndex} {panel.Layer}\nx = step, y = log10|g| bin, colour = log10(1 + count)",
                "training step", "log10 |gradient|");
            var steps = panel.Steps;
            // Row 0 of the intensities is drawn at the top: the highest slot first.
            var intensities = new double[high - low + 1, steps.Count];
            for (var slot = low; slot <= high; slot++)
                for (var column = 0; column < steps.Count; column++)
                {
                    var count = panel.Counts[slot, column];
                    intensities[high - slot, column] = count < 0 ? double.NaN : Math.Log10(1 + count);
                }
            var map = plot.Add.Heatmap(intensities);
            map.Colormap = new ScottPlot.Colormaps.Viridis();
            map.ManualRange = colourRange;
            map.NaNCellColor = Colors.White;
            var stepWidth = steps.Count > 1 ? (double)(steps[^1] - steps[0]) / (steps.Count - 1) : 1;
            map.Extent = new CoordinateRect(
                steps[0] - stepWidth / 2, steps[^1] + stepWidth / 2,
                SlotLowerEdge(spec, low), SlotLowerEdge(spec, high) + width);
            // The title says what the colour is: a label beside the bar would sit on its tick labels.
            plot.Add.ColorBar(map);
            plot.Axes.SetLimits(steps[0] - stepWidth / 2, steps[^1] + stepWidth / 2, SlotLowerEdge(spec, low), SlotLowerEdge(spec, high) + width);
            panels.Add(plot);
        }
        return Figure(panels, panels.Count > 2 ? new ScottPlot.MultiplotLayouts.Grid(2, 2) : new ScottPlot.MultiplotLayouts.Columns());
    }

    /// <summary>Panels side by side or in a grid (a new Multiplot starts with an empty plot of its own, hence the first one given).</summary>
    private static Multiplot Figure(IReadOnlyList<Plot> panels, IMultiplotLayout layout)
    {
        var figure = new Multiplot(panels[0]) { Layout = layout };
        foreach (var panel in panels.Skip(1)) figure.Subplots.Add(panel);
        return figure;
    }

    /// <summary>Slot 0 (below the range, zeros included) is drawn one bin below MinLog10, the overflow slot one above MaxLog10.</summary>
    private static double SlotLowerEdge(HistogramSpec spec, int slot) => spec.MinLog10 + (slot - 1) * spec.BinWidthLog10;

    private static IEnumerable<long> Row(HistogramPanel panel, int slot) =>
        Enumerable.Range(0, panel.Steps.Count).Select(column => panel.Counts[slot, column]);

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(SansFont.Value);
        plot.Title(title, 17);
        plot.XLabel(xLabel, 15);
        plot.YLabel(yLabel, 15);
        return plot;
    }

    /// <summary>A sans-serif face the machine has; ScottPlot's own default falls back to a serif one on Linux.</summary>
    private static readonly Lazy<string> SansFont = new(() =>
    {
        var installed = SkiaSharp.SKFontManager.Default.GetFontFamilies();
        return new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica" }.FirstOrDefault(installed.Contains) ?? Fonts.Default;
    });

    private static Plot Empty(Plot plot, string message)
    {
        var note = plot.Add.Annotation(message, Alignment.MiddleCenter);
        note.LabelFontSize = 18;
        return plot;
    }

    private static void Line(Plot plot, PlotSeries series, double[] xs, double[] ys, Color colour, float markerSize = 6)
    {
        var line = plot.Add.Scatter(xs, ys, colour);
        line.LegendText = series.Label;
        line.LineWidth = 2.5f;
        line.LinePattern = series.Residual ? LinePattern.Solid : LinePattern.Dashed;
        line.MarkerShape = series.Residual ? MarkerShape.FilledCircle : MarkerShape.OpenSquare;
        line.MarkerSize = markerSize;
    }

    /// <summary>Decade ticks labelled 1e-3, 1e-2, ... with log-spaced minor ticks; the data are log10 values.</summary>
    private static void LogScaleY(Plot plot, double minLog, double maxLog)
    {
        var (low, high) = (Math.Floor(minLog), Math.Ceiling(maxLog));
        if (high - low < 1) high = low + 1;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = y => $"1e{y.ToString("0", CultureInfo.InvariantCulture)}",
        };
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        plot.Grid.MinorLineWidth = 1;
        plot.Axes.SetLimitsY(low - 0.05, high + 0.05);
    }

    /// <summary>Each series with its colour: warm for plain, cool for residual, darker with position (depth) in its family.</summary>
    private static IEnumerable<(PlotSeries Series, Color Colour)> Coloured(IReadOnlyList<PlotSeries> series)
    {
        var plain = series.Where(s => !s.Residual).ToList();
        var residual = series.Where(s => s.Residual).ToList();
        return series.Select(s => s.Residual
            ? (s, Shade(Cool, residual.IndexOf(s), residual.Count))
            : (s, Shade(Warm, plain.IndexOf(s), plain.Count)));
    }

    // ColorBrewer YlOrRd and Blues, without their palest ends, which vanish on white.
    private static readonly Color[] Warm = new[] { "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026" }.Select(Color.FromHex).ToArray();
    private static readonly Color[] Cool = new[] { "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b" }.Select(Color.FromHex).ToArray();

    private static Color Shade(Color[] palette, int rank, int count) =>
        count <= 1 ? palette[palette.Length / 2] : palette[(int)Math.Round((double)rank * (palette.Length - 1) / (count - 1))];
}
