using System.CommandLine;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.Shared;

namespace ClusterTrain.Coordinator.Cli;

public static class ClusterTrainCli
{
    public static RootCommand Build() => new RootCommand("ClusterTrain: train plain nets and ResNets, watch their gradients, compare.")
    {
        TrainCommand.Build(),
        RunCommand.Build(),
        CoordinatorCommand.Build(),
        NodeCommand.Build(),
        ValidateCommand.Build(),
        BenchCommand.Build(),
        TrialWorkerCommand.Build(),
    }.WithAll(Remote.RemoteCommands.Build());

    private static RootCommand WithAll(this RootCommand root, IEnumerable<Command> commands)
    {
        foreach (var command in commands) root.Subcommands.Add(command);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("Run with --help for usage.");
            return ExitCodes.BadInput;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (ConfigException e)
        {
            // Settings are read inside the commands (appsettings.json, CLUSTERTRAIN_* variables); one that does not
            // convert is bad input like any other, not a crash.
            Console.Error.WriteLine($"error: the {parse.CommandResult.Command.Name} command cannot start ({e.Problems.Count} problem{(e.Problems.Count == 1 ? "" : "s")}):");
            foreach (var problem in e.Problems) Console.Error.WriteLine($"  {ClusterTrainConfiguration.Describe(problem)}");
            return ExitCodes.BadInput;
        }
    }
}
