using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Coordinator.Reports;

/// <summary>One row of the comparison table: every seed of one configuration with a result.</summary>
/// <param name="Configuration">
/// The configuration's other grid values (<c>model.batchnorm=false optimizer.lr=0.01</c>), empty when the grid varies
/// only family, depth and shortcuts: rows of different learning rates or initialisations are never averaged together.
/// </param>
/// <param name="Trials">Trials of the group that ended with a result (Completed or Diverged).</param>
/// <param name="RatioFirst">Mean over seeds of the first/last-layer gradient-norm ratio at the first snapshot.</param>
/// <param name="RatioLast">The same at each trial's last snapshot.</param>
public sealed record ComparisonRow(
    string Family, int Depth, bool Shortcuts, string Configuration, int Trials, double? TestError, double? FinalTrainLoss, double? RatioFirst, double? RatioLast);

/// <summary>Choices about what the report shows.</summary>
/// <param name="HeatmapTrial">
/// The trial whose gradient histograms the heatmap shows: its id, a unique id prefix, or its label (with " seed=N" when
/// the sweep has several seeds). Null: the deepest plain net.
/// </param>
public sealed record SweepReportOptions(string? HeatmapTrial = null);

/// <summary>
/// What a finished (or stopped) sweep leaves in its output folder (<see cref="WriteTo"/>): <c>index.html</c> with the
/// plots and tables, the plots as PNGs, <c>trials.csv</c> (one row per trial), <c>gradstats.csv</c> (long format, every
/// trial), <c>curves.csv</c> (training loss and error per snapshot step), <c>summary.json</c> and TensorBoard event files
/// under <c>tensorboard/</c>; and the comparison table printed at the end.
/// </summary>
public sealed class SweepReport
{
    public const string TrialsFile = "trials.csv";
    public const string GradStatsFile = "gradstats.csv";
    public const string SummaryFile = "summary.json";
    public const string CurvesFile = "curves.csv";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly SweepSpec _spec;
    private readonly IReadOnlyList<TrialSpec> _trials;
    private readonly IReadOnlyDictionary<string, TrialReport> _reports;
    private readonly SweepGradients _gradients;
    private readonly TrialSpec? _heatmapTrial;

    /// <param name="reports">Every trial's report (all pages of the status).</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> name a heatmap trial the sweep does not have (or several).</exception>
    public SweepReport(SweepSpec spec, string sweepId, SweepCounts counts, IReadOnlyList<TrialReport> reports, SweepGradients gradients,
        SweepReportOptions? options = null)
    {
        _spec = spec;
        _trials = spec.Expand();
        _reports = reports.ToDictionary(r => r.TrialId);
        _gradients = gradients;
        SweepId = sweepId;
        Counts = counts;
        Comparison = Compare();
        _heatmapTrial = ReportPlotData.ChooseHeatmapTrial(_trials, Snapshots, options?.HeatmapTrial);
        Plots = ReportPlotData.Build(_trials, _reports, Snapshots, _heatmapTrial);
    }

    public string SweepId { get; }

    public SweepCounts Counts { get; }

    public IReadOnlyList<ComparisonRow> Comparison { get; }

    /// <summary>What the plots show.</summary>
    public ReportPlotData Plots { get; }

    /// <summary>
    /// Writes the whole report into <paramref name="folder"/> and returns the paths of the files written, relative to it
    /// with '/' separators, in a stable order (index.html first). Each file is written whole or not at all (aside, then
    /// moved), so a reader never sees half a file; writing again replaces every file.
    /// </summary>
    public IReadOnlyList<string> WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        void WriteFile(string relative, Action<string> write)
        {
            var path = Path.Combine(folder, relative);
            var temporary = path + ".tmp";
            write(temporary);
            File.Move(temporary, path, overwrite: true);
            written.Add(relative);
        }
        void WriteText(string relative, Action<TextWriter> write) => WriteFile(relative, path =>
        {
            using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
            write(writer);
        });

        // The data first, so that nothing can cost it; the page last, once what it shows exists.
        WriteText(TrialsFile, TrialsCsv);
        WriteText(GradStatsFile, writer => GradientStatsCsv.Write(writer,
            _trials.SelectMany(t => Snapshots(t.TrialId).Select(s => new TrialSnapshot(t.TrialId, s)))));
        WriteText(CurvesFile, CurvesCsv);
        WriteText(SummaryFile, writer => writer.Write(JsonSerializer.Serialize(Summary(), Json)));
        ReportPlots.WriteAll(Plots, WriteFile);

        var now = DateTimeOffset.UtcNow;
        foreach (var trial in _trials)
        {
            if (!HasTensorBoardRun(trial)) continue;
            var run = Path.Combine(folder, TensorBoardEvents.Folder, TensorBoardEvents.RunName(trial));
            var path = TensorBoardEvents.Write(run, trial, _reports.GetValueOrDefault(trial.TrialId), Snapshots(trial.TrialId), now);
            written.Add(Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/'));
        }
        WriteText(ReportPage.FileName, writer => writer.Write(Page()));
        // The entry point first.
        written.Insert(0, written[^1]);
        written.RemoveAt(written.Count - 1);
        return written;
    }

    /// <summary>The comparison table as fixed-width text.</summary>
    public string FormatComparison()
    {
        var (header, rows) = ComparisonTable();
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Prepend(h.Length).Max()).ToList();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells) =>
            text.Append(string.Join("  ", cells.Select((cell, c) => c is 0 or 2 or 8 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd()).Append('\n');
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToList());
        foreach (var row in rows) Line(row);
        return text.ToString();
    }

    private (string[] Header, List<string[]> Rows) ComparisonTable()
    {
        var byConfiguration = Comparison.Any(r => r.Configuration.Length > 0);
        string[] header = ["family", "depth", "shortcuts", "trials", "test error", "final train loss", "grad ratio first", "grad ratio last"];
        var rows = Comparison.Select(r => new[]
        {
            r.Family, Invariant(r.Depth), r.Shortcuts ? "yes" : "no", Invariant(r.Trials),
            r.TestError is { } e ? e.ToString("P2", CultureInfo.InvariantCulture) : "-",
            Number(r.FinalTrainLoss, "F4"), Number(r.RatioFirst, "G3"), Number(r.RatioLast, "G3"),
        }.Concat(byConfiguration ? [r.Configuration] : []).ToArray()).ToList();
        return (byConfiguration ? [.. header, "configuration"] : header, rows);
    }

    private string Page()
    {
        var (comparisonHeader, comparisonRows) = ComparisonTable();
        var trials = new ReportPage.Table(
            ["trial", "label", "seed", "state", "attempts", "steps", "final train loss", "final train error", "test error", "wall s", "reason"],
            _trials.Select(t =>
            {
                _reports.TryGetValue(t.TrialId, out var report);
                var result = report?.Result;
                return (IReadOnlyList<string>)
                [
                    t.TrialId, t.Label, Invariant(t.Seed), (report?.State ?? TrialState.Pending).ToString().ToLowerInvariant(),
                    Invariant(report?.Attempts ?? 0), result is null ? "-" : Invariant(result.Steps),
                    Number(result?.FinalTrainLoss, "F4"), Percent(result?.FinalTrainError), Percent(result?.TestError),
                    Number(result?.WallSeconds, "F1"), report?.Reason ?? "",
                ];
            }).ToList());
        var summary = $"Sweep {SweepId}: {Counts.Total} trials, {Counts.Completed} completed, {Counts.Diverged} diverged, "
            + $"{Counts.Failed} failed, {Counts.Cancelled} cancelled, {Counts.Running} running, {Counts.Pending} pending."
            + (_heatmapTrial is null ? "" : $" The histogram heatmap shows {_heatmapTrial.Label} seed={_heatmapTrial.Seed}.");
        return ReportPage.Render($"ClusterTrain sweep {_spec.Name}", summary,
            new ReportPage.Table(comparisonHeader, comparisonRows), trials, ReportPlots.All,
            [
                (TrialsFile, "one row per trial: grid values, state, result"),
                (GradStatsFile, "per-layer gradient statistics of every snapshot (long format)"),
                (CurvesFile, "training loss and error of every snapshot step"),
                (SummaryFile, "counts, trials, results and the comparison, as JSON"),
            ],
            _trials.Any(HasTensorBoardRun) ? TensorBoardEvents.Folder : null);
    }

    /// <summary>A trial has something to show in TensorBoard: snapshots or a result.</summary>
    private bool HasTensorBoardRun(TrialSpec trial) =>
        Snapshots(trial.TrialId).Count > 0 || _reports.GetValueOrDefault(trial.TrialId)?.Result is not null;

    private IReadOnlyList<GradientSnapshot> Snapshots(string trialId) =>
        _gradients.Trials.TryGetValue(trialId, out var snapshots) ? snapshots : [];

    private IReadOnlyList<ComparisonRow> Compare() => _trials
        .GroupBy(t => (Family: ModelFamilyName(t), t.Config.Model.Depth, t.Config.Model.Shortcuts, Configuration: OtherGridValues(t)))
        .Select(group =>
        {
            var ended = group
                .Where(t => _reports.TryGetValue(t.TrialId, out var r) && r.Result is not null && r.State is TrialState.Completed or TrialState.Diverged)
                .ToList();
            var results = ended.Select(t => _reports[t.TrialId].Result!).ToList();
            var profiles = ended.Select(t => Snapshots(t.TrialId)).Where(s => s.Count > 0).ToList();
            return new ComparisonRow(group.Key.Family, group.Key.Depth, group.Key.Shortcuts, group.Key.Configuration, ended.Count,
                Mean(results.Where(r => r.TestError is not null).Select(r => r.TestError!.Value)),
                Mean(results.Select(r => r.FinalTrainLoss)),
                Mean(profiles.Select(s => GradientProfile.FirstToLastNormRatio(s[0]))),
                Mean(profiles.Select(s => GradientProfile.FirstToLastNormRatio(s[^1]))));
        })
        .ToList();

    private static readonly HashSet<string> ComparedKeys = ["model.family", "model.depth", "model.shortcuts"];

    private string OtherGridValues(TrialSpec trial) =>
        string.Join(' ', _spec.Grid.Where(a => !ComparedKeys.Contains(a.Key)).Select(a => $"{a.Key}={trial.GridValues[a.Key]}"));

    private static string ModelFamilyName(TrialSpec trial) => ModelFamilyNames.Format(trial.Config.Model.Family);

    private void TrialsCsv(TextWriter writer)
    {
        var header = new List<string> { "trial_id", "label" };
        header.AddRange(_spec.Grid.Select(a => a.Key));
        header.AddRange(["seed", "state", "attempts", "steps", "final_train_loss", "final_train_error", "test_error",
            "wall_seconds", "images_per_second", "diverged_at_step", "reason"]);
        writer.WriteLine(string.Join(',', header.Select(Csv)));
        foreach (var trial in _trials)
        {
            _reports.TryGetValue(trial.TrialId, out var report);
            var result = report?.Result;
            var cells = new List<string> { trial.TrialId, trial.Label };
            cells.AddRange(_spec.Grid.Select(a => trial.GridValues[a.Key]));
            cells.AddRange([
                Invariant(trial.Seed),
                (report?.State ?? TrialState.Pending).ToString().ToLowerInvariant(),
                Invariant(report?.Attempts ?? 0),
                result is null ? "" : Invariant(result.Steps),
                Real(result?.FinalTrainLoss), Real(result?.FinalTrainError), Real(result?.TestError),
                Real(result?.WallSeconds), Real(result?.ImagesPerSecond),
                result?.DivergedAtStep is { } d ? Invariant(d) : "",
                report?.Reason ?? "",
            ]);
            writer.WriteLine(string.Join(',', cells.Select(Csv)));
        }
    }

    /// <summary>
    /// Training curves: one row per trial and snapshot step with the mean training loss and error since the previous
    /// snapshot. Kept out of gradstats.csv, which has one row per layer and would repeat them on every one.
    /// </summary>
    private void CurvesCsv(TextWriter writer)
    {
        writer.WriteLine("trial_id,label,step,train_loss,train_error");
        foreach (var trial in _trials)
            foreach (var s in Snapshots(trial.TrialId))
                writer.WriteLine(string.Join(',', Csv(trial.TrialId), Csv(trial.Label), Invariant(s.Step), Real(s.TrainLoss), Real(s.TrainError)));
    }

    private object Summary() => new
    {
        SweepId,
        _spec.Name,
        Counts = new { Counts.Pending, Counts.Running, Counts.Completed, Counts.Diverged, Counts.Failed, Counts.Cancelled, Counts.Total },
        Trials = _trials.Select(t =>
        {
            _reports.TryGetValue(t.TrialId, out var r);
            return new
            {
                t.TrialId, t.Label, Grid = t.GridValues, t.Seed,
                State = (r?.State ?? TrialState.Pending).ToString().ToLowerInvariant(),
                Attempts = r?.Attempts ?? 0, r?.Reason, r?.Result,
            };
        }),
        Comparison,
    };

    private static double? Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? null : list.Average();
    }

    private static string Invariant(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Real(double? x) => x?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static string Number(double? x, string format) => x?.ToString(format, CultureInfo.InvariantCulture) ?? "-";

    private static string Percent(double? x) => x?.ToString("P2", CultureInfo.InvariantCulture) ?? "-";

    private static string Csv(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : $"\"{cell.Replace("\"", "\"\"")}\"";
}
