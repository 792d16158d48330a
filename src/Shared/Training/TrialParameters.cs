using ClusterTrain.Shared.Models;
using YamlDotNet.RepresentationModel;
using static ClusterTrain.Shared.Training.YamlCodecs;

namespace ClusterTrain.Shared.Training;

/// <summary>
/// Every key a trial file (and a sweep spec) may set, in one table: "model.depth", "optimizer.lr",
/// "seed", ... Each key knows its YAML type and where it lives in <see cref="TrialConfig"/>.
/// Reading only checks types; range and cross-key rules are <see cref="TrialRules"/>.
/// </summary>
public static class TrialParameters
{
    private static readonly TrialParameter[] Table =
    [
        Model("family", OneOf(TrialNames.Family), m => m.Family, (m, v) => m with { Family = v }),
        Model("depth", Integer, m => m.Depth, (m, v) => m with { Depth = v }),
        Model("batchnorm", Flag, m => m.BatchNorm, (m, v) => m with { BatchNorm = v }),
        Model("shortcuts", Flag, m => m.Shortcuts, (m, v) => m with { Shortcuts = v }),
        Model("init", OneOf(TrialNames.Init), m => m.Init, (m, v) => m with { Init = v }),
        Model("base_width", NullableInteger, m => m.BaseWidth, (m, v) => m with { BaseWidth = v }),
        Model("input_channels", Integer, m => m.InputChannels, (m, v) => m with { InputChannels = v }),
        Model("input_size", Integer, m => m.InputSize, (m, v) => m with { InputSize = v }),
        Model("classes", Integer, m => m.Classes, (m, v) => m with { Classes = v }),
        Model("stem", OneOf(TrialNames.Stem), m => m.Stem, (m, v) => m with { Stem = v }),

        Data("kind", OneOf(TrialNames.Dataset), d => d.Kind, (d, v) => d with { Kind = v }),
        Data("path", NullableText, d => d.Path, (d, v) => d with { Path = v }),
        Data("download", Flag, d => d.Download, (d, v) => d with { Download = v }),
        Data("train_limit", NullableInteger, d => d.TrainLimit, (d, v) => d with { TrainLimit = v }),
        Data("test_limit", NullableInteger, d => d.TestLimit, (d, v) => d with { TestLimit = v }),
        Data("validation_fraction", Number, d => d.ValidationFraction, (d, v) => d with { ValidationFraction = v }),
        Data("augment", Flag, d => d.Augment, (d, v) => d with { Augment = v }),
        Data("normalize", Flag, d => d.Normalize, (d, v) => d with { Normalize = v }),
        Data("synthetic_train_size", Integer, d => d.SyntheticTrainSize, (d, v) => d with { SyntheticTrainSize = v }),
        Data("synthetic_test_size", Integer, d => d.SyntheticTestSize, (d, v) => d with { SyntheticTestSize = v }),
        Data("synthetic_classes", Integer, d => d.SyntheticClasses, (d, v) => d with { SyntheticClasses = v }),

        Optimizer("kind", OneOf(TrialNames.Optimizer), o => o.Kind, (o, v) => o with { Kind = v }),
        Optimizer("lr", Number, o => o.LearningRate, (o, v) => o with { LearningRate = v }),
        Optimizer("momentum", Number, o => o.Momentum, (o, v) => o with { Momentum = v }),
        Optimizer("nesterov", Flag, o => o.Nesterov, (o, v) => o with { Nesterov = v }),
        Optimizer("weight_decay", Number, o => o.WeightDecay, (o, v) => o with { WeightDecay = v }),
        Optimizer("decay_batchnorm", Flag, o => o.DecayBatchNorm, (o, v) => o with { DecayBatchNorm = v }),
        Optimizer("beta1", Number, o => o.Beta1, (o, v) => o with { Beta1 = v }),
        Optimizer("beta2", Number, o => o.Beta2, (o, v) => o with { Beta2 = v }),

        Schedule("kind", OneOf(TrialNames.Schedule), s => s.Kind, (s, v) => s with { Kind = v }),
        Schedule("milestones", NumberList, s => s.Milestones, (s, v) => s with { Milestones = v }),
        Schedule("gamma", Number, s => s.Gamma, (s, v) => s with { Gamma = v }),
        Schedule("warmup_steps", Integer, s => s.WarmupSteps, (s, v) => s with { WarmupSteps = v }),
        Schedule("warmup_lr", Number, s => s.WarmupLearningRate, (s, v) => s with { WarmupLearningRate = v }),

        Stats("every", Integer, s => s.Every, (s, v) => s with { Every = v }),
        Stats("histogram_bins", Integer, s => s.HistogramBins, (s, v) => s with { HistogramBins = v }),
        Stats("histogram_min_log10", Integer, s => s.HistogramMinLog10, (s, v) => s with { HistogramMinLog10 = v }),
        Stats("histogram_max_log10", Integer, s => s.HistogramMaxLog10, (s, v) => s with { HistogramMaxLog10 = v }),

        Top("epochs", Integer, c => c.Epochs, (c, v) => c with { Epochs = v }),
        Top("max_steps", NullableInteger, c => c.MaxSteps, (c, v) => c with { MaxSteps = v }),
        Top("batch_size", Integer, c => c.BatchSize, (c, v) => c with { BatchSize = v }),
        Top("seed", Integer, c => c.Seed, (c, v) => c with { Seed = v }),
        Top("checkpoint_every", Integer, c => c.CheckpointEvery, (c, v) => c with { CheckpointEvery = v }),
        Top("eval_every", Integer, c => c.EvalEvery, (c, v) => c with { EvalEvery = v }),
        Top("threads", Integer, c => c.Threads, (c, v) => c with { Threads = v }),
        Top("device", Text, c => c.Device, (c, v) => c with { Device = v }),
    ];

    private static readonly Dictionary<string, TrialParameter> ByKey = Table.ToDictionary(p => p.Key);

    /// <summary>Every dotted key, in file order.</summary>
    public static IReadOnlyList<string> Keys { get; } = Table.Select(p => p.Key).ToList();

    /// <summary>Sections in file order: model, data, optimizer, schedule, stats.</summary>
    public static IReadOnlyList<string> Sections { get; } =
        Table.Select(p => p.Section).Where(s => s.Length > 0).Distinct().ToList();

    /// <summary>What every key holds before a file sets it; the model's family and depth have no real default.</summary>
    public static TrialConfig Defaults { get; } =
        new(new ModelSpec(ModelFamily.CifarResNet, 20), new DatasetSpec(), new OptimizerSpec(), new ScheduleSpec(), new StatsSpec());

    /// <summary>
    /// <paramref name="config"/> with <paramref name="dottedKey"/> set from <paramref name="value"/>. A section
    /// name ("model") with a mapping sets each of its keys. A bad key or value adds a problem, at the value's
    /// line, and leaves the config as it was; the line of every key read is located in <paramref name="problems"/>.
    /// </summary>
    public static TrialConfig Apply(TrialConfig config, string dottedKey, YamlNode value, ProblemList problems) =>
        Apply(config, dottedKey, value, checked((int)value.Start.Line), problems);

    internal static TrialConfig Apply(TrialConfig config, string dottedKey, YamlNode value, int keyLine, ProblemList problems)
    {
        if (ByKey.TryGetValue(dottedKey, out var parameter))
        {
            problems.Locate(dottedKey, keyLine);
            return parameter.Apply(config, value, problems);
        }
        if (Sections.Contains(dottedKey))
        {
            problems.Locate(dottedKey, keyLine);
            if (value is not YamlMappingNode mapping)
            {
                problems.Add(dottedKey, $"expected a mapping of {AllowedIn(dottedKey)}, found {YamlCodecs.Describe(value)}", keyLine);
                return config;
            }
            foreach (var (k, v) in mapping.Children)
            {
                var line = checked((int)k.Start.Line);
                if (k is YamlScalarNode { Value: { Length: > 0 } name })
                    config = Apply(config, $"{dottedKey}.{name}", v, line, problems);
                else
                    problems.Add(dottedKey, $"expected a key name, found {YamlCodecs.Describe(k)}", line);
            }
            return config;
        }
        var dot = dottedKey.LastIndexOf('.');
        var section = dot < 0 ? "" : dottedKey[..dot];
        problems.Add(dottedKey, Sections.Contains(section)
            ? $"unknown key '{dottedKey[(dot + 1)..]}' in {section}; allowed: {AllowedIn(section)}"
            : $"unknown key '{dottedKey}'; allowed: {AllowedIn("")}", keyLine);
        return config;
    }

    /// <summary>
    /// The value of <paramref name="dottedKey"/> in <paramref name="config"/> as YAML flow text, exactly as
    /// <see cref="ToYaml"/> writes it: one spelling per value ("0.1" for 0.10, "he" for He), so equal values
    /// format equally.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dottedKey"/> is not in <see cref="Keys"/>.</exception>
    public static string Format(TrialConfig config, string dottedKey) =>
        ByKey.TryGetValue(dottedKey, out var parameter)
            ? parameter.Format(config)
            : throw new ArgumentException($"'{dottedKey}' is not a trial parameter.", nameof(dottedKey));

    /// <summary>The whole config as a trial file, every key written, sections in file order.</summary>
    public static string ToYaml(TrialConfig config)
    {
        var yaml = new System.Text.StringBuilder();
        foreach (var group in Table.GroupBy(p => p.Section))
        {
            if (group.Key.Length > 0) yaml.Append(group.Key).Append(":\n");
            var indent = group.Key.Length > 0 ? "  " : "";
            foreach (var p in group) yaml.Append($"{indent}{p.Name}: {p.Format(config)}\n");
        }
        return yaml.ToString();
    }

    /// <summary>Keys allowed directly in a section ("" for the top level), comma-separated.</summary>
    private static string AllowedIn(string section) => section.Length > 0
        ? string.Join(", ", Table.Where(p => p.Section == section).Select(p => p.Name))
        : string.Join(", ", Sections.Concat(Table.Where(p => p.Section.Length == 0).Select(p => p.Key)));

    private static TrialParameter Top<T>(string key, YamlCodec<T> codec, Func<TrialConfig, T> get, Func<TrialConfig, T, TrialConfig> set) =>
        new TrialParameter<T>(key, codec, get, set);

    private static TrialParameter Model<T>(string key, YamlCodec<T> codec, Func<ModelSpec, T> get, Func<ModelSpec, T, ModelSpec> set) =>
        new TrialParameter<T>($"model.{key}", codec, c => get(c.Model), (c, v) => c with { Model = set(c.Model, v) });

    private static TrialParameter Data<T>(string key, YamlCodec<T> codec, Func<DatasetSpec, T> get, Func<DatasetSpec, T, DatasetSpec> set) =>
        new TrialParameter<T>($"data.{key}", codec, c => get(c.Data), (c, v) => c with { Data = set(c.Data, v) });

    private static TrialParameter Optimizer<T>(string key, YamlCodec<T> codec, Func<OptimizerSpec, T> get, Func<OptimizerSpec, T, OptimizerSpec> set) =>
        new TrialParameter<T>($"optimizer.{key}", codec, c => get(c.Optimizer), (c, v) => c with { Optimizer = set(c.Optimizer, v) });

    private static TrialParameter Schedule<T>(string key, YamlCodec<T> codec, Func<ScheduleSpec, T> get, Func<ScheduleSpec, T, ScheduleSpec> set) =>
        new TrialParameter<T>($"schedule.{key}", codec, c => get(c.Schedule), (c, v) => c with { Schedule = set(c.Schedule, v) });

    private static TrialParameter Stats<T>(string key, YamlCodec<T> codec, Func<StatsSpec, T> get, Func<StatsSpec, T, StatsSpec> set) =>
        new TrialParameter<T>($"stats.{key}", codec, c => get(c.Stats), (c, v) => c with { Stats = set(c.Stats, v) });
}
