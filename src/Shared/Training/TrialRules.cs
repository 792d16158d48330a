using System.Globalization;
using System.Text.RegularExpressions;
using ClusterTrain.Shared.Models;

namespace ClusterTrain.Shared.Training;

/// <summary>
/// Range and cross-key rules of a complete <see cref="TrialConfig"/>, however it was put together
/// (trial file, sweep spec, command line). Problem paths are the trial file's dotted keys.
/// </summary>
public static partial class TrialRules
{
    /// <summary>
    /// Adds every rule violation to <paramref name="problems"/>. A key that already has a problem (it did
    /// not parse, or is missing) gets no further ones, and nor does the model when its family is broken:
    /// a rule checked against the default that stood in for it would only mislead.
    /// </summary>
    public static void Validate(TrialConfig config, ProblemList problems)
    {
        var broken = problems.Select(p => p.Path).ToHashSet();
        void Fail(string path, string message)
        {
            if (!broken.Contains(path)) problems.Add(path, message);
        }
        // Messages are formatted in the invariant culture, as the numbers in the file are.
        void Rule(bool holds, string path, FormattableString message)
        {
            if (!holds) Fail(path, FormattableString.Invariant(message));
        }

        if (!broken.Contains("model") && !broken.Contains("model.family"))
            foreach (var p in ModelSpecRules.Validate(config.Model))
                Fail($"model.{p.Path}", p.Message);

        var data = config.Data;
        var kind = TrialNames.Dataset.Format(data.Kind);
        if (data.Kind != DatasetKind.Synthetic)
        {
            Rule(!string.IsNullOrEmpty(data.Path), "data.path", $"a folder is required for kind {kind}");
            if (!string.IsNullOrEmpty(data.Path))
                Rule(data.Download || Directory.Exists(data.Path), "data.path",
                    $"folder '{data.Path}' does not exist{(CanDownload(data.Kind) ? " (set download: true to fetch it)" : "")}");
            // Every trial of a sweep would fail on it, each retried up to max_attempts: better said before anything starts.
            if (data.Kind == DatasetKind.Cifar10 && !data.Download && Directory.Exists(data.Path))
                Rule(DatasetFiles.Cifar10Train.Any(f => DatasetFiles.IsCifar10Batch(Path.Combine(data.Path, f))), "data.path",
                    $"folder '{data.Path}' holds no usable CIFAR-10 training batch ({DatasetFiles.Cifar10Train[0]} ... {DatasetFiles.Cifar10Train[^1]}; set download: true to fetch them)");
        }
        Rule(!data.Download || CanDownload(data.Kind), "data.download",
            $"kind {kind} cannot be downloaded; only cifar10 and mnist can");
        Rule(data.TrainLimit is null or >= 1, "data.train_limit", $"{data.TrainLimit} is below 1");
        Rule(data.TestLimit is null or >= 1, "data.test_limit", $"{data.TestLimit} is below 1");
        Rule(data.ValidationFraction is >= 0 and < 1, "data.validation_fraction",
            $"{data.ValidationFraction} is outside [0, 1)");
        Rule(data.SyntheticTrainSize >= 1, "data.synthetic_train_size", $"{data.SyntheticTrainSize} is below 1");
        Rule(data.SyntheticTestSize >= 1, "data.synthetic_test_size", $"{data.SyntheticTestSize} is below 1");
        Rule(data.SyntheticClasses >= 2, "data.synthetic_classes", $"{data.SyntheticClasses} is below 2");
        Rule(data.Kind != DatasetKind.Synthetic || data.SyntheticClasses <= config.Model.Classes, "data.synthetic_classes",
            $"{data.SyntheticClasses} is more than the model's {config.Model.Classes} classes");

        var opt = config.Optimizer;
        Rule(opt.LearningRate > 0, "optimizer.lr", $"{opt.LearningRate} is not positive");
        Rule(opt.Momentum is >= 0 and < 1, "optimizer.momentum", $"{opt.Momentum} is outside [0, 1)");
        Rule(!opt.Nesterov || opt.Kind != OptimizerKind.Sgd || opt.Momentum > 0, "optimizer.nesterov",
            $"Nesterov momentum needs momentum above 0");
        Rule(opt.WeightDecay >= 0, "optimizer.weight_decay", $"{opt.WeightDecay} is negative");
        Rule(opt.Beta1 is >= 0 and < 1, "optimizer.beta1", $"{opt.Beta1} is outside [0, 1)");
        Rule(opt.Beta2 is >= 0 and < 1, "optimizer.beta2", $"{opt.Beta2} is outside [0, 1)");

        var sched = config.Schedule;
        var milestones = sched.Milestones ?? [];
        Rule(sched.Kind != ScheduleKind.MultiStep || milestones.Count > 0, "schedule.milestones",
            $"kind multistep needs at least one milestone, e.g. [0.5, 0.75]");
        var outside = milestones.Where(m => m is <= 0 or >= 1).ToList();
        Rule(outside.Count == 0, "schedule.milestones",
            $"{string.Join(", ", outside.Select(Number))} not in (0, 1): milestones are fractions of the training steps");
        Rule(milestones.Zip(milestones.Skip(1)).All(p => p.First < p.Second), "schedule.milestones",
            $"[{string.Join(", ", milestones.Select(Number))}] is not increasing");
        Rule(sched.Gamma > 0, "schedule.gamma", $"{sched.Gamma} is not positive");
        Rule(sched.WarmupSteps >= 0, "schedule.warmup_steps", $"{sched.WarmupSteps} is negative");
        Rule(sched.WarmupLearningRate > 0, "schedule.warmup_lr", $"{sched.WarmupLearningRate} is not positive");

        var stats = config.Stats;
        Rule(stats.Every >= 1, "stats.every", $"{stats.Every} is below 1");
        Rule(stats.HistogramBins >= 1, "stats.histogram_bins", $"{stats.HistogramBins} is below 1");
        Rule(stats.HistogramMaxLog10 > stats.HistogramMinLog10, "stats.histogram_max_log10",
            $"{stats.HistogramMaxLog10} is not above histogram_min_log10 {stats.HistogramMinLog10}");

        Rule(config.Epochs >= 1, "epochs", $"{config.Epochs} is not positive");
        Rule(config.MaxSteps is null or >= 1, "max_steps", $"{config.MaxSteps} is not positive");
        Rule(config.BatchSize >= 1, "batch_size", $"{config.BatchSize} is not positive");
        Rule(config.CheckpointEvery >= 0, "checkpoint_every", $"{config.CheckpointEvery} is negative");
        Rule(config.EvalEvery >= 0, "eval_every", $"{config.EvalEvery} is negative");
        Rule(config.Threads >= 0, "threads", $"{config.Threads} is negative");
        Rule(DevicePattern().IsMatch(config.Device), "device", $"'{config.Device}' is not auto, cpu, cuda or cuda:N");
    }

    /// <summary>The config with a relative dataset path made absolute against <paramref name="baseDirectory"/>.</summary>
    public static TrialConfig ResolvePaths(TrialConfig config, string baseDirectory) =>
        string.IsNullOrEmpty(config.Data.Path)
            ? config
            : config with { Data = config.Data with { Path = Path.GetFullPath(config.Data.Path, Path.GetFullPath(baseDirectory)) } };

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool CanDownload(DatasetKind kind) => kind is DatasetKind.Cifar10 or DatasetKind.Mnist;

    [GeneratedRegex(@"^(auto|cpu|cuda(:\d+)?)$")]
    private static partial Regex DevicePattern();
}
