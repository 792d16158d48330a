using System.CommandLine;
using System.Globalization;
using ClusterTrain.GpuNode.Benchmarks;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.Models;
using static TorchSharp.torch;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>
/// <c>clustertrain bench training</c>: trainer throughput against a bare TorchSharp loop and the GEMM peak;
/// <c>clustertrain bench gradstats</c>: the cost of gradient statistics per step. Progress goes to stderr,
/// the report to stdout. <c>clustertrain bench coordinator</c> (<see cref="CoordinatorBench"/>): the coordinator's overhead at scale.
/// </summary>
public static class BenchCommand
{
    private const double TrainerOverBareGoal = 0.95;

    /// <summary>Overhead goals of gradient statistics by interval (issue "Training core", section 8).</summary>
    private static readonly Dictionary<int, double> StatsOverheadGoal = new() { [10] = 0.01, [1] = 0.05 };

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static Command Build() => new("bench", "Measure training throughput, the cost of gradient statistics and the coordinator's overhead.")
    {
        TrainingCommand(),
        GradientStatsCommand(),
        CoordinatorBench.Command(),
        CoordinatorBench.NodesCommand(),
    };

    /// <summary>Options both subcommands share.</summary>
    private sealed record CommonOptions(Option<int?> BatchSize, Option<int?> Warmup, Option<int?> Steps,
        Option<int> Threads, Option<string> Device, Option<bool> Markdown)
    {
        public static CommonOptions Create() => new(
            Count("--batch-size", "Images per step (default 128; 32 for ImageNet-style ResNets).", minimum: 1),
            // At least one: the trainer always takes gradient statistics at step 0, which must not be timed.
            Count("--warmup", "Untimed steps before the timed ones, at least 1 (default 5; 3 for ImageNet-style ResNets).", minimum: 1),
            Count("--steps", "Timed steps (default 30; 5 for ImageNet-style ResNets).", minimum: 1),
            new Option<int>("--threads")
            {
                Description = "torch CPU threads (0: torch's default).",
                DefaultValueFactory = _ => 0,
                Validators = { r => { if (r.GetValueOrDefault<int>() < 0) r.AddError($"--threads must be 0 or more, got {r.GetValueOrDefault<int>()}."); } },
            },
            new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" },
            new Option<bool>("--markdown") { Description = "Also print the report as markdown for docs/benchmarks.md." });

        public IEnumerable<Option> All => [BatchSize, Warmup, Steps, Threads, Device, Markdown];

        /// <summary>The per-model defaults with whatever the command line set instead.</summary>
        public BenchmarkSteps Resolve(ParseResult parse, ModelSpec spec)
        {
            var defaults = BenchmarkModels.DefaultsFor(spec);
            return new BenchmarkSteps(
                parse.GetValue(BatchSize) ?? defaults.BatchSize,
                parse.GetValue(Warmup) ?? defaults.Warmup,
                parse.GetValue(Steps) ?? defaults.Steps);
        }

        private static Option<int?> Count(string name, string description, int minimum) => new(name)
        {
            Description = description,
            Validators =
            {
                r =>
                {
                    if (r.GetValueOrDefault<int?>() is { } value && value < minimum)
                        r.AddError($"{name} must be at least {minimum}, got {value}.");
                },
            },
        };
    }

    private static Command TrainingCommand()
    {
        var models = new Option<string>("--models")
        {
            Description = $"Comma-separated models: {BenchmarkModels.Syntax}.",
            DefaultValueFactory = _ => string.Join(",", BenchmarkModels.TrainingDefaults),
        };
        models.Validators.Add(r => ValidateModels(r.GetValueOrDefault<string>(), r.AddError));
        var common = CommonOptions.Create();
        var command = new Command("training",
            "Images/s of the trainer and of a bare TorchSharp loop of the same model, alternating step by step, " +
            "and their FLOP/s against a 1024^3 fp32 GEMM measured in the same run.")
        {
            models,
        };
        foreach (var option in common.All) command.Options.Add(option);
        command.SetAction(parse => RunTraining(parse, ModelList(parse.GetValue(models)!).Select(BenchmarkModels.Parse).ToList(), common));
        return command;
    }

    private static Command GradientStatsCommand()
    {
        var model = new Option<string>("--model")
        {
            Description = $"The model: {BenchmarkModels.Syntax}.",
            DefaultValueFactory = _ => "resnet-56",
        };
        model.Validators.Add(r => ValidateModels(r.GetValueOrDefault<string>(), r.AddError));
        var common = CommonOptions.Create();
        var command = new Command("gradstats",
            "Step time of the trainer with gradient statistics never, every 10th step and every step, alternating step by step, " +
            "and the cost of one snapshot alone.")
        {
            model,
        };
        foreach (var option in common.All) command.Options.Add(option);
        command.SetAction(parse => RunGradientStats(parse, BenchmarkModels.Parse(parse.GetValue(model)!), common));
        return command;
    }

    private static IEnumerable<string> ModelList(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static void ValidateModels(string? text, Action<string> addError)
    {
        var names = ModelList(text).ToList();
        if (names.Count == 0) addError("no model given.");
        foreach (var name in names)
        {
            try { BenchmarkModels.Parse(name); }
            catch (ArgumentException e) { addError(e.Message); }
        }
    }

    private static int RunTraining(ParseResult parse, IReadOnlyList<ModelSpec> models, CommonOptions common)
    {
        if (Prepare(parse, common) is not var (machine, device, threads)) return ExitCodes.BadInput;
        Console.Error.WriteLine("fp32 GEMM 1024^3 ...");
        var gemm = GemmBenchmark.Measure(device);
        var results = new List<TrainingBenchmarkResult>();
        foreach (var (spec, index) in models.Select((m, i) => (m, i + 1)))
        {
            var settings = common.Resolve(parse, spec);
            Console.Error.WriteLine($"[{index}/{models.Count}] {spec.DisplayName}: batch {settings.BatchSize}, " +
                $"{settings.Warmup} warmup + {settings.Steps} timed steps, trainer and bare loop alternating ...");
            results.Add(TrainingBenchmark.Run(spec, settings, threads, parse.GetValue(common.Device)!));
        }

        var table = new TextTable("model", "batch", "warmup", "steps", "trainer img/s", "bare img/s", "trainer/bare",
            $"goal >= {Percent(TrainerOverBareGoal, 0)}", "GFLOP/img", "trainer GFLOP/s", "trainer/GEMM", "bare/GEMM");
        foreach (var r in results)
        {
            table.Add(r.Model, Text(r.Settings.BatchSize), Text(r.Settings.Warmup), Text(r.Settings.Steps),
                Fixed(r.TrainerImagesPerSecond, 1), Fixed(r.BareImagesPerSecond, 1), Percent(r.TrainerOverBare),
                r.TrainerOverBare >= TrainerOverBareGoal ? "met" : "MISSED",
                Fixed(r.TrainingFlopsPerImage / 1e9, 3), Fixed(r.TrainerFlopsPerSecond / 1e9, 1),
                Percent(r.TrainerFlopsPerSecond / gemm.FlopsPerSecond), Percent(r.BareFlopsPerSecond / gemm.FlopsPerSecond));
        }
        var gemmLine = $"fp32 GEMM {gemm.Size}x{gemm.Size}x{gemm.Size}: {Fixed(gemm.FlopsPerSecond / 1e9, 1)} GFLOP/s " +
            $"(median of {gemm.Repetitions} after warmup)";
        string[] notes =
        [
            "trainer: TrialTrainer on synthetic 32x32 images (augmented, as in a run); gradient statistics at step 0 only and " +
            "evaluation after the last step, both outside the timed steps.",
            "bare: the same ModelFactory model in a hand-written TorchSharp loop (SGD with the trainer's momentum and weight decay, " +
            "cross entropy, one random batch kept on the device, a dispose scope per step).",
            "The two alternate step by step; img/s = batch / median timed step.",
            "GFLOP/img: one training step per image, taken as 3 x the forward pass (2 FLOPs per multiply-add of the conv and " +
            "linear layers, counted with forward hooks); BN, ReLU, pooling, additions and the update are left out (< 1%).",
        ];
        Print(parse, common, machine, [gemmLine], table, notes);
        return ExitCodes.Success;
    }

    private static int RunGradientStats(ParseResult parse, ModelSpec spec, CommonOptions common)
    {
        if (Prepare(parse, common) is not var (machine, _, threads)) return ExitCodes.BadInput;
        var settings = common.Resolve(parse, spec);
        Console.Error.WriteLine($"{spec.DisplayName}: batch {settings.BatchSize}, {settings.Warmup} warmup + {settings.Steps} timed steps, " +
            "three trainers (stats never, every 10th, every step) alternating ...");
        var result = GradientStatsBenchmark.Run(spec, settings, threads, parse.GetValue(common.Device)!);

        var table = new TextTable("gradient stats", "mean step ms", "snapshot steps", "overhead vs never", "goal",
            "snapshot alone / interval");
        foreach (var interval in result.Intervals)
        {
            var baseline = interval == result.Baseline;
            var goal = StatsOverheadGoal.TryGetValue(interval.Every, out var g) ? g : (double?)null;
            var overhead = result.Overhead(interval);
            table.Add(
                baseline ? "never" : interval.Every == 1 ? "every step" : $"every {interval.Every}th step",
                Fixed(interval.Steps.Mean * 1e3, 1),
                Text(interval.Snapshots),
                baseline ? "-" : SignedPercent(overhead),
                goal is { } limit ? $"<= {Percent(limit, 0)} {(overhead <= limit ? "met" : "MISSED")}" : "-",
                baseline ? "-" : SignedPercent(result.SnapshotShare(interval.Every)));
        }
        var header = $"{result.Model}: batch {settings.BatchSize}, {settings.Warmup} warmup + {settings.Steps} timed steps per trainer";
        string[] notes =
        [
            "Three TrialTrainers of the same trial (synthetic data, augmented) alternate step by step; each step time is the " +
            "trainer's own step clock. Overhead = mean step time / mean step time without stats - 1.",
            $"snapshot alone: CaptureGradients + CompleteSnapshot outside training, median {Fixed(result.Snapshot.Median * 1e3, 1)} ms of " +
            $"{result.Snapshot.Count}; divided by the interval and a median step without stats, it estimates the overhead without the noise between steps.",
        ];
        Print(parse, common, machine, [header], table, notes);
        return ExitCodes.Success;
    }

    /// <summary>Sets torch's threads and resolves the device; null (after printing why) when they are not valid.</summary>
    private static (MachineInfo Machine, Device Device, int Threads)? Prepare(ParseResult parse, CommonOptions common)
    {
        var threads = parse.GetValue(common.Threads);
        try
        {
            TorchRuntime.Configure(threads, seed: 0);
            var device = TorchRuntime.ResolveDevice(parse.GetValue(common.Device)!);
            return (MachineInfo.Describe(device), device, threads);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return null;
        }
    }

    private static void Print(ParseResult parse, CommonOptions common, MachineInfo machine, string[] lead, TextTable table, string[] notes)
    {
        var command = "clustertrain " + string.Join(" ", parse.Tokens.Select(t => t.Value.Contains(' ') ? $"'{t.Value}'" : t.Value));
        var where = $"{machine.Cores} cores ({machine.CpuModel}), {machine.TorchThreads} torch threads, device {machine.Device}, " +
            $"TorchSharp {machine.TorchSharpVersion}";
        Console.WriteLine($"{command}  [{where}]");
        foreach (var line in lead) Console.WriteLine(line);
        Console.WriteLine();
        Console.Write(table.Render(markdown: false));
        Console.WriteLine();
        foreach (var note in notes) Console.WriteLine(note);
        if (!parse.GetValue(common.Markdown)) return;

        Console.WriteLine();
        Console.WriteLine($"Machine: {where}. Command: `{command}`");
        Console.WriteLine();
        foreach (var line in lead) Console.WriteLine(line);
        Console.WriteLine();
        Console.Write(table.Render(markdown: true));
        Console.WriteLine();
        foreach (var note in notes) Console.WriteLine($"- {note}");
    }

    private static string Text(int value) => value.ToString(Invariant);
    private static string Fixed(double value, int decimals) => value.ToString("F" + decimals, Invariant);
    private static string Percent(double ratio, int decimals = 1) => Fixed(ratio * 100, decimals) + "%";
    private static string SignedPercent(double ratio) => (ratio * 100).ToString("+0.00;-0.00;0.00", Invariant) + "%";
}
