using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Coordinator.Reports;

/// <summary>One row of the comparison table: every seed of one (family, depth, shortcuts) with a result.</summary>
/// <param name="Trials">Trials of the group that ended with a result (Completed or Diverged).</param>
/// <param name="RatioFirst">Mean over seeds of the first/last-layer gradient-norm ratio at the first snapshot.</param>
/// <param name="RatioLast">The same at each trial's last snapshot.</param>
public sealed record ComparisonRow(
    string Family, int Depth, bool Shortcuts, int Trials, double? TestError, double? FinalTrainLoss, double? RatioFirst, double? RatioLast);

/// <summary>
/// What a finished (or stopped) sweep leaves in its output folder: <c>trials.csv</c> (one row per trial),
/// <c>gradstats.csv</c> (long format, every trial), <c>curves.csv</c> (training loss and error per snapshot step)
/// and <c>summary.json</c>, and the comparison table printed at the end.
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

    /// <param name="reports">Every trial's report (all pages of the status).</param>
    public SweepReport(SweepSpec spec, string sweepId, SweepCounts counts, IReadOnlyList<TrialReport> reports, SweepGradients gradients)
    {
        _spec = spec;
        _trials = spec.Expand();
        _reports = reports.ToDictionary(r => r.TrialId);
        _gradients = gradients;
        SweepId = sweepId;
        Counts = counts;
        Comparison = Compare();
    }

    public string SweepId { get; }

    public SweepCounts Counts { get; }

    public IReadOnlyList<ComparisonRow> Comparison { get; }

    /// <summary>Writes the files, each whole or not at all (written aside, then moved).</summary>
    public void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        Write(Path.Combine(folder, TrialsFile), TrialsCsv);
        Write(Path.Combine(folder, GradStatsFile), writer => GradientStatsCsv.Write(writer,
            _trials.SelectMany(t => Snapshots(t.TrialId).Select(s => new TrialSnapshot(t.TrialId, s)))));
        Write(Path.Combine(folder, CurvesFile), CurvesCsv);
        Write(Path.Combine(folder, SummaryFile), writer => writer.Write(JsonSerializer.Serialize(Summary(), Json)));
    }

    /// <summary>The comparison table as fixed-width text.</summary>
    public string FormatComparison()
    {
        var header = new[] { "family", "depth", "shortcuts", "trials", "test error", "final train loss", "grad ratio first", "grad ratio last" };
        var rows = Comparison.Select(r => new[]
        {
            r.Family, Invariant(r.Depth), r.Shortcuts ? "yes" : "no", Invariant(r.Trials),
            r.TestError is { } e ? e.ToString("P2", CultureInfo.InvariantCulture) : "-",
            Number(r.FinalTrainLoss, "F4"), Number(r.RatioFirst, "G3"), Number(r.RatioLast, "G3"),
        }).ToList();
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Prepend(h.Length).Max()).ToList();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells) =>
            text.Append(string.Join("  ", cells.Select((cell, c) => c is 0 or 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd()).Append('\n');
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToList());
        foreach (var row in rows) Line(row);
        return text.ToString();
    }

    private IReadOnlyList<GradientSnapshot> Snapshots(string trialId) =>
        _gradients.Trials.TryGetValue(trialId, out var snapshots) ? snapshots : [];

    private IReadOnlyList<ComparisonRow> Compare() => _trials
        .GroupBy(t => (Family: ModelFamilyName(t), t.Config.Model.Depth, t.Config.Model.Shortcuts))
        .Select(group =>
        {
            var ended = group
                .Where(t => _reports.TryGetValue(t.TrialId, out var r) && r.Result is not null && r.State is TrialState.Completed or TrialState.Diverged)
                .ToList();
            var results = ended.Select(t => _reports[t.TrialId].Result!).ToList();
            var profiles = ended.Select(t => Snapshots(t.TrialId)).Where(s => s.Count > 0).ToList();
            return new ComparisonRow(group.Key.Family, group.Key.Depth, group.Key.Shortcuts, ended.Count,
                Mean(results.Where(r => r.TestError is not null).Select(r => r.TestError!.Value)),
                Mean(results.Select(r => r.FinalTrainLoss)),
                Mean(profiles.Select(s => GradientProfile.FirstToLastNormRatio(s[0]))),
                Mean(profiles.Select(s => GradientProfile.FirstToLastNormRatio(s[^1]))));
        })
        .ToList();

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

    private static void Write(string path, Action<TextWriter> write)
    {
        var temporary = path + ".tmp";
        using (var writer = new StreamWriter(temporary, false, new UTF8Encoding(false))) write(writer);
        File.Move(temporary, path, overwrite: true);
    }

    private static double? Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? null : list.Average();
    }

    private static string Invariant(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Real(double? x) => x?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static string Number(double? x, string format) => x?.ToString(format, CultureInfo.InvariantCulture) ?? "-";

    private static string Csv(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : $"\"{cell.Replace("\"", "\"\"")}\"";
}
