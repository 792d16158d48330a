using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Training;

/// <summary>
/// Writes a trial's records as they happen: <c>metrics.jsonl</c> (steps and evaluations),
/// <c>gradstats.csv</c> (long format), and <c>summary.json</c> at the end. Files are appended and flushed
/// per record, so a crash loses at most the record being written. On resume, rows written after the
/// checkpoint the run resumes from are dropped first, so no step appears twice.
/// </summary>
public sealed class TrialOutputFolder : ITrainingObserver, IDisposable
{
    public const string MetricsFile = "metrics.jsonl";
    public const string GradientStatsFile = "gradstats.csv";
    public const string SummaryFile = "summary.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly string _folder;
    private readonly string _trial;
    private readonly int _stepLogInterval;
    private StreamWriter? _metrics;
    private StreamWriter? _gradientStats;

    public const string ConfigFile = "config.yaml";

    private readonly string? _configYaml;

    /// <param name="stepLogInterval">Write every Nth step's progress to metrics.jsonl (evaluations always).</param>
    /// <param name="configYaml">Written to config.yaml once training starts, i.e. after the trainer has accepted
    /// the folder's checkpoint (if any), so a refused resume never rewrites another trial's config.</param>
    public TrialOutputFolder(string folder, string trial, int stepLogInterval = 1, string? configYaml = null)
    {
        _folder = folder;
        _trial = trial;
        _stepLogInterval = Math.Max(1, stepLogInterval);
        _configYaml = configYaml;
        Directory.CreateDirectory(folder);
    }

    public string Folder => _folder;

    public void OnStarted(TrainingStarted started)
    {
        if (_configYaml is not null) File.WriteAllText(Path.Combine(_folder, ConfigFile), _configYaml);
        var metricsPath = Path.Combine(_folder, MetricsFile);
        var statsPath = Path.Combine(_folder, GradientStatsFile);
        KeepLinesBefore(metricsPath, started.ResumedFromStep, StepOfMetricsLine);
        KeepLinesBefore(statsPath, started.ResumedFromStep, StepOfGradientStatsLine);
        var writeHeader = !File.Exists(statsPath) || new FileInfo(statsPath).Length == 0;
        _metrics = new StreamWriter(metricsPath, append: true);
        _gradientStats = new StreamWriter(statsPath, append: true);
        if (writeHeader) GradientStatsCsv.WriteHeader(_gradientStats);
        Write(new { @event = "started", started.ModelName, started.Parameters, started.Device, started.TotalSteps, started.StepsPerEpoch, step = started.ResumedFromStep });
    }

    public void OnStep(StepProgress progress)
    {
        if (progress.Step % _stepLogInterval == 0 || progress.Step == progress.TotalSteps)
            Write(new { @event = "step", progress.Step, progress.Epoch, progress.LearningRate, progress.Loss, progress.BatchError, progress.ImagesPerSecond });
    }

    public void OnGradientSnapshot(GradientSnapshot snapshot)
    {
        GradientStatsCsv.WriteRows(_gradientStats!, _trial, snapshot);
        _gradientStats!.Flush();
    }

    public void OnEvaluation(EvaluationResult evaluation) =>
        Write(new { @event = "evaluation", evaluation.Step, evaluation.Epoch, evaluation.Split, evaluation.Loss, evaluation.Error, evaluation.Samples });

    public void WriteSummary(TrialResult result, TrialConfig config)
    {
        var summary = new { trial = _trial, model = config.Model.DisplayName, result };
        var path = Path.Combine(_folder, SummaryFile);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(summary, new JsonSerializerOptions(Json) { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private void Write(object record)
    {
        _metrics!.WriteLine(JsonSerializer.Serialize(record, Json));
        _metrics.Flush();
    }

    // A snapshot's step is the index of the step whose gradients it holds; a step or evaluation record's
    // step counts the steps done. A checkpoint at step s was written after s steps, so snapshots with
    // index >= s and records with count > s come from after it.
    private static long? StepOfGradientStatsLine(string line)
    {
        var fields = line.Split(',', 3);
        return fields.Length == 3 && long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var step) ? step : null;
    }

    private static long? StepOfMetricsLine(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var step = root.GetProperty("step").GetInt64();
        return root.GetProperty("event").GetString() == "started" ? step : step - 1;
    }

    private static void KeepLinesBefore(string path, long resumedFrom, Func<string, long?> stepOf)
    {
        if (!File.Exists(path)) return;
        var kept = File.ReadLines(path).Where(line =>
        {
            if (string.IsNullOrWhiteSpace(line)) return false;
            try { return stepOf(line) is not { } step || step < resumedFrom; }
            catch (JsonException) { return false; } // a line cut short by a crash
        }).ToList();
        File.WriteAllLines(path + ".tmp", kept);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public void Dispose()
    {
        _metrics?.Dispose();
        _gradientStats?.Dispose();
    }
}
