using System.CommandLine;

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
        return await parse.InvokeAsync();
    }
}
