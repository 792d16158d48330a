using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.Training;
using Microsoft.Win32.SafeHandles;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>
/// <c>clustertrain trial-worker --config FILE --checkpoint-dir DIR ...</c>: trains one trial for a parent process
/// (a GPU node's <see cref="TrialProcess"/>), reporting in the <see cref="WorkerProtocol"/> on stdout and logging
/// on stderr. Hidden from help: people use <c>train</c>.
/// Exit codes: 0 completed, 1 diverged or an unexpected error, 2 bad config or data (an error event says which),
/// 130 stopped by SIGTERM, Ctrl-C or (with --watch-stdin) a closed stdin, after a checkpoint.
/// </summary>
public static class TrialWorkerCommand
{
    public const string Name = "trial-worker";

    public static Command Build()
    {
        var config = new Option<FileInfo>("--config") { Description = "Trial file (YAML).", Required = true };
        var checkpointDir = new Option<DirectoryInfo>("--checkpoint-dir")
        {
            Description = "Checkpoint folder; a checkpoint of the same trial there is resumed.",
            Required = true,
        };
        var device = new Option<string?>("--device") { Description = "Replaces the trial's device: cpu, cuda, cuda:N." };
        var threads = new Option<int?>("--threads") { Description = "Replaces the trial's torch thread count." };
        var trialId = new Option<string?>("--trial-id") { Description = "Echoed in the started event and the log." };
        var attempt = new Option<int?>("--attempt") { Description = "Echoed in the started event and the log." };
        var stepInterval = new Option<int>("--step-interval-ms")
        {
            Description = "Write a step event when this many ms have passed since the last one (0: every step).",
            DefaultValueFactory = _ => 1000,
        };
        var stepEvery = new Option<int>("--step-every") { Description = "Also write every Nth step's event (0: off)." };
        var watchStdin = new Option<bool>("--watch-stdin")
        {
            Description = "Stop like on SIGTERM when stdin closes: a dying parent closes it, so the worker never outlives it.",
        };
        var command = new Command(Name, "Train one trial for a GPU node's parent process; JSON-lines events on stdout.")
        {
            Hidden = true,
        };
        foreach (var option in new Option[] { config, checkpointDir, device, threads, trialId, attempt, stepInterval, stepEvery, watchStdin })
            command.Options.Add(option);
        command.SetAction((parse, cancellation) => Task.FromResult(Run(
            new TrialWorkerOptions(parse.GetValue(config)!.FullName, parse.GetValue(checkpointDir)!.FullName)
            {
                Device = parse.GetValue(device),
                Threads = parse.GetValue(threads),
                TrialId = parse.GetValue(trialId),
                Attempt = parse.GetValue(attempt),
                StepInterval = TimeSpan.FromMilliseconds(parse.GetValue(stepInterval)),
                StepEvery = parse.GetValue(stepEvery),
            },
            parse.GetValue(watchStdin))));
        return command;
    }

    private static int Run(TrialWorkerOptions options, bool watchStdin)
    {
        // First, so that a SIGTERM during start-up already means "stop cleanly" rather than "die".
        using var interrupt = new ConsoleInterrupt();
        // Lives as long as the process: the stdin watch may cancel it at any time, even while exiting.
        var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token);
        if (watchStdin) StopWhenStdinCloses(stop);
        stop.Token.Register(() => Console.Error.WriteLine("trial-worker: stop requested; stopping after the current step"));
        using var protocol = TakeStdoutForProtocol();

        var last = TrialWorker.Run(options, protocol, Console.Error, stop.Token);
        return last switch
        {
            WorkerResult { Result.Outcome: TrialOutcome.Completed } => ExitCodes.Success,
            WorkerResult { Result.Outcome: TrialOutcome.Interrupted } => ExitCodes.Interrupted,
            WorkerError { Kind: WorkerErrorKind.BadConfig or WorkerErrorKind.BadData } => ExitCodes.BadInput,
            _ => ExitCodes.TrialsFailed,
        };
    }

    private static void StopWhenStdinCloses(CancellationTokenSource stop)
    {
        var watch = new Thread(() =>
        {
            var buffer = new byte[64];
            try
            {
                using var stdin = Console.OpenStandardInput();
                while (stdin.Read(buffer) > 0) { }
            }
            catch (IOException) { }
            Console.Error.WriteLine("trial-worker: stdin closed (is the parent gone?)");
            stop.Cancel();
        })
        { IsBackground = true, Name = "stdin watch" };
        watch.Start();
    }

    /// <summary>
    /// A writer on the real stdout, reserved for the protocol. File descriptor 1 is pointed at stderr, so that
    /// anything else printed to stdout (a native libtorch message, a stray Console.WriteLine) lands in the log
    /// instead of corrupting the event stream.
    /// </summary>
    private static StreamWriter TakeStdoutForProtocol()
    {
        Stream stdout;
        if (OperatingSystem.IsWindows())
        {
            stdout = Console.OpenStandardOutput();
            Console.SetOut(Console.Error);
        }
        else
        {
            var copy = Dup(1);
            if (copy < 0 || Dup2(2, 1) < 0)
                throw new IOException($"cannot set stdout aside for the worker protocol (errno {Marshal.GetLastPInvokeError()})");
            stdout = new FileStream(new SafeFileHandle(copy, ownsHandle: true), FileAccess.Write, bufferSize: 0);
        }
        return new StreamWriter(stdout, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
    }

    // DllImport rather than LibraryImport, which would need unsafe code enabled for the whole project.
    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int fd, int target);
}
