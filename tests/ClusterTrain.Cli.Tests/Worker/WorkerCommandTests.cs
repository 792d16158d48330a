using System.Diagnostics;
using ClusterTrain.Coordinator.Cli;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.Training;
using static ClusterTrain.Cli.Tests.Worker.WorkerFixtures;

namespace ClusterTrain.Cli.Tests.Worker;

/// <summary>The trial-worker command run directly, without a <see cref="TrialProcess"/> around it.</summary>
[Collection(nameof(WorkerProcesses))]
public class WorkerCommandTests
{
    [Fact]
    public async Task A_worker_whose_stdin_closes_stops_like_on_sigterm_so_it_never_outlives_its_parent()
    {
        var folder = TempFolder();

        // Closing stdin is what the death of the parent that held the pipe does.
        var (exitCode, events, stderr) = await RunWorker(TrialFileIn(folder, TinyTrial(steps: 1000)), folder,
            (e, stdin) => { if (e is WorkerStep { Progress.Step: 1 }) stdin.Close(); });

        var result = Assert.IsType<WorkerResult>(events[^1]).Result;
        Assert.True(exitCode == 130, stderr);
        Assert.Equal(TrialOutcome.Interrupted, result.Outcome);
        Assert.Equal(result.Steps, Checkpoint.TryReadState(folder)!.Step);
        Assert.Contains("stdin closed", stderr);
    }

    [Fact]
    public async Task An_unexpected_exception_is_reported_as_an_internal_error_with_exit_code_1()
    {
        var folder = TempFolder();
        // A file where the checkpoint folder should be: training runs, and writing the checkpoint at the end fails.
        var notAFolder = Path.Combine(folder, "checkpoint-folder");
        File.WriteAllText(notAFolder, "");

        var (exitCode, events, stderr) = await RunWorker(TrialFileIn(folder, TinyTrial(steps: 2)), notAFolder);

        var error = Assert.IsType<WorkerError>(events[^1]);
        Assert.True(exitCode == 1, stderr);
        Assert.Equal(WorkerErrorKind.Internal, error.Kind);
        Assert.StartsWith("IOException: ", error.Message);
        Assert.Contains("   at ", stderr); // the stack trace, for whoever debugs it
    }

    [Fact]
    public async Task The_trial_worker_command_is_left_out_of_the_help()
    {
        var help = new StringWriter();

        await ClusterTrainCli.Build().Parse("--help").InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = help });

        Assert.Contains("train", help.ToString());
        Assert.DoesNotContain(TrialWorkerCommand.Name, help.ToString());
    }

    private static string TrialFileIn(string folder, TrialConfig config)
    {
        var path = Path.Combine(folder, "trial.yaml");
        File.WriteAllText(path, TrialFile.ToYaml(config));
        return path;
    }

    /// <summary>Runs the worker to its end, handing each event and the worker's stdin to <paramref name="onEvent"/>.</summary>
    private static async Task<(int ExitCode, List<WorkerEvent> Events, string Stderr)> RunWorker(
        string config, string checkpointFolder, Action<WorkerEvent, StreamWriter>? onEvent = null)
    {
        var start = new ProcessStartInfo(EveryStep.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in EveryStep.PrefixArguments.Concat(
                     ["trial-worker", "--config", config, "--checkpoint-dir", checkpointFolder, "--step-interval-ms", "0", "--watch-stdin"]))
            start.ArgumentList.Add(a);
        using var worker = Process.Start(start)!;
        var stderr = worker.StandardError.ReadToEndAsync();
        var events = new List<WorkerEvent>();
        try
        {
            using var hangGuard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (await worker.StandardOutput.ReadLineAsync(hangGuard.Token) is { } line)
            {
                events.Add(WorkerProtocol.Parse(line));
                onEvent?.Invoke(events[^1], worker.StandardInput);
            }
            await worker.WaitForExitAsync(hangGuard.Token);
        }
        finally
        {
            if (!worker.HasExited) worker.Kill();
        }
        return (worker.ExitCode, events, await stderr);
    }
}
