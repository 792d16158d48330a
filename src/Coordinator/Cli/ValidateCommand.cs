using System.CommandLine;
using ClusterTrain.Shared;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Coordinator.Cli;

/// <summary><c>clustertrain validate SPEC</c>: every problem at once, or the expanded trial table.</summary>
public static class ValidateCommand
{
    public static Command Build()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Sweep spec (YAML)." };
        var maxTrials = new Option<int>("--max-trials")
        {
            Description = "Refuse sweeps with more trials than this.",
            DefaultValueFactory = _ => SweepLimits.Default.MaxTrials,
        };
        var command = new Command("validate", "Check a sweep spec and print its expanded trials; exit code 2 lists every problem.")
        {
            spec, maxTrials,
        };
        command.SetAction(parse => Run(parse.GetValue(spec)!, parse.GetValue(maxTrials)));
        return command;
    }

    private static int Run(FileInfo spec, int maxTrials)
    {
        SweepSpec sweep;
        try
        {
            sweep = SweepFile.Load(spec.FullName, new SweepLimits(maxTrials));
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"error: {spec.Name} is not a valid sweep ({e.Problems.Count} problem{(e.Problems.Count == 1 ? "" : "s")}):");
            foreach (var problem in e.Problems) Console.Error.WriteLine($"  {problem}");
            return ExitCodes.BadInput;
        }
        Console.WriteLine($"sweep {sweep.Name}");
        Console.Write(SweepTable.Format(sweep, sweep.Expand()));
        return ExitCodes.Success;
    }
}
