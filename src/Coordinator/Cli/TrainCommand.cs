using System.CommandLine;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared;
using ClusterTrain.Shared.Training;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Coordinator.Cli;

/// <summary><c>clustertrain train [TRIAL.yaml] [--set key=value]... [--out DIR]</c>: one trial, start to end.</summary>
public static class TrainCommand
{
    public static Command Build()
    {
        var trialFile = new Argument<FileInfo?>("trial")
        {
            Description = "Trial file (YAML: model, data, optimizer, schedule, stats, epochs, ...). Without one, the defaults: CIFAR ResNet-20 on synthetic data.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var set = new Option<string[]>("--set", "-s")
        {
            Description = "Override a trial key, e.g. --set model.depth=56 --set optimizer.lr=0.05 (repeatable; keys as in the trial file).",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<DirectoryInfo>("--out", "-o")
        {
            Description = "Output folder: config.yaml, metrics.jsonl, gradstats.csv, summary.json, checkpoint.ckpt. A folder with a checkpoint of the same trial resumes.",
            DefaultValueFactory = _ => new DirectoryInfo("runs/train"),
        };
        var stepLog = new Option<int>("--log-every")
        {
            Description = "Write every Nth step's loss to metrics.jsonl.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("train", "Train one trial with live progress; writes metrics and per-layer gradient statistics.")
        {
            trialFile, set, output, stepLog,
        };
        command.SetAction((parse, cancellation) => Task.FromResult(Run(
            parse.GetValue(trialFile), parse.GetValue(set) ?? [], parse.GetValue(output)!, parse.GetValue(stepLog))));
        return command;
    }

    private static int Run(FileInfo? trialFile, string[] overrides, DirectoryInfo output, int stepLog)
    {
        TrialConfig config;
        try
        {
            config = ResolveConfig(trialFile?.FullName, overrides);
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine("error: the trial is not valid:");
            foreach (var problem in e.Problems) Console.Error.WriteLine($"  {problem}");
            return ExitCodes.BadInput;
        }

        if (OutputFolder.Create(output.FullName) is { } unusable)
        {
            Console.Error.WriteLine($"error: {unusable}");
            return ExitCodes.BadInput;
        }
        using var interrupt = new ConsoleInterrupt();
        using var folder = new TrialOutputFolder(output.FullName, config.Model.DisplayName, stepLog, TrialFile.ToYaml(config));
        using var progress = TrainingProgressDisplay.Create(config.Model.DisplayName);
        TrialResult result;
        try
        {
            result = new TrialTrainer(config, output.FullName).Run(new CompositeObserver(folder, progress), interrupt.Token);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            progress.Dispose();
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        folder.WriteSummary(result, config);
        progress.Dispose();
        PrintResult(result, output.FullName);
        return result.Outcome switch
        {
            TrialOutcome.Completed => ExitCodes.Success,
            TrialOutcome.Interrupted => ExitCodes.Interrupted,
            _ => ExitCodes.TrialsFailed,
        };
    }

    /// <summary>The trial file (or the defaults) with every --set applied, checked as a whole.</summary>
    public static TrialConfig ResolveConfig(string? trialPath, IReadOnlyList<string> overrides)
    {
        var config = trialPath is null ? TrialParameters.Defaults : TrialFile.Load(trialPath);
        var problems = new ProblemList("--set");
        foreach (var assignment in overrides)
        {
            var equals = assignment.IndexOf('=');
            if (equals <= 0)
            {
                problems.Add("", $"'{assignment}' is not key=value");
                continue;
            }
            var key = assignment[..equals].Trim();
            var value = ParseValue(assignment[(equals + 1)..].Trim());
            config = TrialParameters.Apply(config, key, value, problems);
        }
        problems.ThrowIfAny();
        config = TrialRules.ResolvePaths(config, Directory.GetCurrentDirectory());
        TrialRules.Validate(config, problems);
        problems.ThrowIfAny();
        return config;
    }

    private static YamlNode ParseValue(string text)
    {
        // A value is read as YAML, so lists ([0.5, 0.75]) and quoted strings work as in a trial file.
        var stream = new YamlStream();
        try { stream.Load(new StringReader($"v: {text}")); }
        catch (YamlDotNet.Core.YamlException) { return new YamlScalarNode(text); }
        return ((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("v")];
    }

    private static void PrintResult(TrialResult r, string folder)
    {
        var test = r.TestError is { } e ? $"test error {e:P2} (accuracy {1 - e:P2}), " : "";
        Console.WriteLine(r.Outcome switch
        {
            TrialOutcome.Completed =>
                $"completed {r.Steps} steps: {test}final train loss {r.FinalTrainLoss:F4}, train error {r.FinalTrainError:P2}, {r.ImagesPerSecond:F0} img/s, {r.WallSeconds:F1} s",
            TrialOutcome.Diverged => $"diverged: the loss became non-finite at step {r.DivergedAtStep}",
            _ => $"interrupted at step {r.Steps}/{r.TotalSteps}; the checkpoint is saved: run the same command to resume",
        });
        Console.WriteLine($"output: {folder}");
    }
}
