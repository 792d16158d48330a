using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using ClusterTrain.GpuNode.Cluster.Internal;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Worker;

/// <summary>
/// One trial running in a <c>clustertrain trial-worker</c> child process, so that a crash, a hang or a native
/// abort takes down only the trial, and ending the process gives back all of its host and device memory.
/// Nothing here blocks: events arrive on <see cref="Events"/> and the end on <see cref="Exit"/>, for an actor
/// to pipe to itself. The child also stops by itself (checkpoint, Interrupted) when this process dies,
/// because its stdin, held open here, then closes.
/// </summary>
public sealed class TrialProcess : IDisposable, IAsyncDisposable, ITrialRun
{
    public const string ConfigFileName = "trial.yaml";
    private const int Sigterm = 15;
    private const int MaxLineLength = 2000;

    private readonly Process _process;
    private readonly Channel<WorkerEvent> _events = Channel.CreateUnbounded<WorkerEvent>(
        new UnboundedChannelOptions { SingleWriter = true });
    private readonly Queue<string> _tail = new();
    private readonly int _tailLines;
    private WorkerResult? _result;
    private WorkerError? _error;
    private volatile bool _stopRequested;
    private bool _disposed;

    private TrialProcess(Process process, int tailLines)
    {
        _process = process;
        _tailLines = Math.Max(1, tailLines);
        ProcessId = process.Id;
        // Task.Run: the readers must not run on the caller's scheduler (an actor's, say) but on the thread pool.
        Exit = Task.Run(WatchAsync);
    }

    public int ProcessId { get; }

    string ITrialRun.Description => $"pid {ProcessId}";

    /// <summary>Every event of the worker in order; completes when its stdout closes, before <see cref="Exit"/> completes.
    /// Read it, or the events pile up in memory.</summary>
    public ChannelReader<WorkerEvent> Events => _events.Reader;

    /// <summary>Completes, never faults, once the process has ended and all its output is read.</summary>
    public Task<TrialProcessExit> Exit { get; }

    /// <summary>
    /// Writes the config to <c>CheckpointFolder/trial.yaml</c> and starts the worker on it. Relative dataset paths
    /// are resolved against the current directory first, as the worker would otherwise resolve them against the folder.
    /// </summary>
    /// <exception cref="InvalidOperationException">The worker program cannot be started.</exception>
    public static TrialProcess Start(TrialLaunch launch, TrialProcessOptions options)
    {
        var folder = Path.GetFullPath(launch.CheckpointFolder);
        Directory.CreateDirectory(folder);
        var configPath = Path.Combine(folder, ConfigFileName);
        var config = TrialRules.ResolvePaths(launch.Config, Directory.GetCurrentDirectory());
        File.WriteAllText(configPath + ".tmp", TrialFile.ToYaml(config));
        File.Move(configPath + ".tmp", configPath, overwrite: true);

        var start = new ProcessStartInfo(options.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        var arguments = start.ArgumentList;
        foreach (var prefix in options.PrefixArguments) arguments.Add(prefix);
        arguments.Add("trial-worker");
        Add("--config", configPath);
        Add("--checkpoint-dir", folder);
        Add("--step-interval-ms", ((long)options.StepInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        Add("--step-every", options.StepEvery.ToString(CultureInfo.InvariantCulture));
        if (launch.Device is { } device) Add("--device", device);
        if (launch.Threads is { } threads) Add("--threads", threads.ToString(CultureInfo.InvariantCulture));
        if (launch.TrialId is { } trialId) Add("--trial-id", trialId);
        if (launch.Attempt is { } attempt) Add("--attempt", attempt.ToString(CultureInfo.InvariantCulture));
        arguments.Add("--watch-stdin");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"'{options.FileName}' did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start the trial worker '{options.FileName}': {e.Message}", e);
        }
        return new TrialProcess(process, options.StderrTailLines);

        void Add(string name, string value)
        {
            arguments.Add(name);
            arguments.Add(value);
        }
    }

    /// <summary>
    /// Asks the worker to stop (SIGTERM: it finishes the current step, writes a checkpoint and reports
    /// Interrupted); kills it with its process tree if it has not ended after <paramref name="grace"/>.
    /// </summary>
    public async Task<TrialProcessExit> StopAsync(TimeSpan grace)
    {
        _stopRequested = true;
        if (!Exit.IsCompleted && !_disposed && !_process.HasExited && !SendSigterm()) Kill();
        try
        {
            return await Exit.WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Kill();
            return await Exit.ConfigureAwait(false);
        }
    }

    /// <summary>Kills the worker (and anything it started) at once; the trial resumes from its last checkpoint.</summary>
    public void Kill()
    {
        _stopRequested = true;
        if (_disposed) return;
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }
    }

    /// <summary>Kills a still-running worker and waits (briefly) for its end.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Kill();
        _disposed = true;
        // The kill closes the pipes, so the readers finish at once.
        Exit.Wait(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        Kill();
        _disposed = true;
        try
        {
            await Exit.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A process that SIGKILL cannot end within seconds (stuck in the kernel); stop waiting for it.
        }
        _process.Dispose();
    }

    private bool SendSigterm() => !OperatingSystem.IsWindows() && SendSignal(ProcessId, Sigterm) == 0;

    // DllImport rather than LibraryImport, which would need unsafe code enabled for the whole project.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private async Task<TrialProcessExit> WatchAsync()
    {
        int code;
        try
        {
            await Task.WhenAll(Task.Run(ReadEventsAsync), Task.Run(ReadStderrAsync)).ConfigureAwait(false);
            await _process.WaitForExitAsync().ConfigureAwait(false);
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = -1; // disposed while a kill was still pending; see DisposeAsync
        }
        finally
        {
            _events.Writer.TryComplete();
        }
        var tail = Tail();
        if (_result is not null) return new TrialProcessExit.Finished(_result.Result, code, tail);
        if (_error is not null) return new TrialProcessExit.Failed(_error.Kind, _error.Message, code, tail);
        int? signal = code is > 128 and <= 128 + 64 ? code - 128 : null;
        return new TrialProcessExit.Crashed(code, signal, _stopRequested, tail);
    }

    private async Task ReadEventsAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                WorkerEvent workerEvent;
                try
                {
                    workerEvent = WorkerProtocol.Parse(line);
                }
                catch (FormatException e)
                {
                    Remember($"stdout: {e.Message}");
                    continue;
                }
                if (workerEvent is WorkerResult result) _result = result;
                if (workerEvent is WorkerError error) _error = error;
                _events.Writer.TryWrite(workerEvent);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Remember($"stdout: reading failed: {e.Message}");
        }
    }

    private async Task ReadStderrAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
                Remember(line);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Remember($"stderr: reading failed: {e.Message}");
        }
    }

    private void Remember(string line)
    {
        if (line.Length > MaxLineLength) line = line[..MaxLineLength] + "...";
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > _tailLines) _tail.Dequeue();
        }
    }

    private string Tail()
    {
        lock (_tail) return string.Join('\n', _tail);
    }
}
