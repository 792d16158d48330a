using System.Reflection;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Worker;

/// <summary>How to start a trial worker: the <c>clustertrain</c> command, and how chatty its step events are.</summary>
/// <param name="FileName">The program to run: the clustertrain apphost, or the dotnet host.</param>
/// <param name="PrefixArguments">Arguments before "trial-worker": the path of clustertrain.dll under the dotnet host.</param>
public sealed record TrialProcessOptions(string FileName, IReadOnlyList<string> PrefixArguments)
{
    public const string AssemblyFileName = "clustertrain.dll";

    /// <summary>See <see cref="TrialWorkerOptions.StepInterval"/>.</summary>
    public TimeSpan StepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>See <see cref="TrialWorkerOptions.StepEvery"/>.</summary>
    public int StepEvery { get; init; }

    /// <summary>Last lines of the worker's stderr kept for crash reports.</summary>
    public int StderrTailLines { get; init; } = 40;

    /// <summary>
    /// The program this process is running, to be called from the clustertrain process itself (the GPU node):
    /// its apphost or single-file executable as it is, or <c>dotnet clustertrain.dll</c> when it runs under the dotnet host.
    /// </summary>
    public static TrialProcessOptions CurrentProgram()
    {
        var program = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is unknown");
        if (!IsDotnetHost(program)) return new TrialProcessOptions(program, []);
        var entry = Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(entry))
            throw new InvalidOperationException($"this program runs under {program}, but the path of its entry assembly is unknown");
        return new TrialProcessOptions(program, [entry]);
    }

    /// <summary>
    /// <c>dotnet FOLDER/clustertrain.dll</c>: for a process that is not clustertrain but has it built beside it
    /// (a test host whose project references src/Coordinator).
    /// </summary>
    /// <exception cref="FileNotFoundException">clustertrain.dll is not in the folder.</exception>
    public static TrialProcessOptions ClusterTrainDllIn(string folder)
    {
        var dll = Path.Combine(Path.GetFullPath(folder), AssemblyFileName);
        if (!File.Exists(dll))
            throw new FileNotFoundException($"{AssemblyFileName} is not in {folder}; reference src/Coordinator or give the worker command explicitly", dll);
        return new TrialProcessOptions(DotnetHost(), [dll]);
    }

    private static bool IsDotnetHost(string path) =>
        Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase);

    /// <summary>The dotnet host running this process, else the one the SDK names, else the one on the PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && IsDotnetHost(self)) return self;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        return "dotnet";
    }
}

/// <summary>One trial to run in a worker process.</summary>
/// <param name="CheckpointFolder">Receives trial.yaml and the checkpoint; a checkpoint of the same trial there is resumed.</param>
public sealed record TrialLaunch(TrialConfig Config, string CheckpointFolder)
{
    /// <summary>Replaces the trial's device, e.g. the GPU slot's "cuda:1".</summary>
    public string? Device { get; init; }

    /// <summary>Replaces the trial's torch thread count.</summary>
    public int? Threads { get; init; }

    public string? TrialId { get; init; }

    public int? Attempt { get; init; }
}

/// <summary>How a worker process ended.</summary>
/// <param name="ExitCode">The process's exit code; 128 + N when signal N killed it (.NET's convention on Unix).</param>
/// <param name="StderrTail">The last lines of its stderr, and any stdout line that was no protocol event.</param>
public abstract record TrialProcessExit(int ExitCode, string StderrTail)
{
    /// <summary>The worker reported a result: Completed, Diverged, or Interrupted after a checkpoint.</summary>
    public sealed record Finished(TrialResult Result, int ExitCode, string StderrTail) : TrialProcessExit(ExitCode, StderrTail);

    /// <summary>The worker reported why the trial could not run or went on; see <see cref="WorkerErrorKind"/> for whether a retry may help.</summary>
    public sealed record Failed(WorkerErrorKind Kind, string Message, int ExitCode, string StderrTail) : TrialProcessExit(ExitCode, StderrTail);

    /// <summary>The process ended without a word: killed, crashed in native code, out of memory.</summary>
    /// <param name="Signal">The signal that ended it, when the exit code says so (137: 9, SIGKILL).</param>
    /// <param name="Stopped">It ended after <see cref="TrialProcess.StopAsync"/> or disposal asked it to.</param>
    public sealed record Crashed(int ExitCode, int? Signal, bool Stopped, string StderrTail) : TrialProcessExit(ExitCode, StderrTail);
}
