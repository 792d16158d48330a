using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ClusterTrain.Cli.Tests.Cluster;

/// <summary>
/// A long-running <c>clustertrain coordinator</c> or <c>clustertrain node</c> process: every stdout and stderr line is
/// kept, and a test awaits the first line that matches a pattern.
/// </summary>
internal sealed class MemberProcess : IAsyncDisposable
{
    /// <summary>Short failure detection and re-asking, so that a killed member is noticed in seconds.</summary>
    private static readonly Dictionary<string, string> FastFailureDetection = new()
    {
        ["CLUSTERTRAIN_CLUSTER__ACCEPTABLEHEARTBEATPAUSE"] = "00:00:01",
        ["CLUSTERTRAIN_CLUSTER__HEARTBEATINTERVAL"] = "00:00:00.200",
        ["CLUSTERTRAIN_CLUSTER__DOWNINGSTABLEAFTER"] = "00:00:02",
        ["CLUSTERTRAIN_NODE__REASKINTERVAL"] = "00:00:01",
        ["CLUSTERTRAIN_NODE__HEARTBEATINTERVAL"] = "00:00:01",
        ["CLUSTERTRAIN_NODE__RESENDINTERVAL"] = "00:00:00.300",
    };

    /// <summary>Coordinators of tests running side by side would otherwise all bind the API's default ports.</summary>
    private static readonly Dictionary<string, string> FreeApiPorts = new()
    {
        ["CLUSTERTRAIN_API__PORT"] = "0",
        ["CLUSTERTRAIN_API__HTTPPORT"] = "0",
    };

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Found)> _waiters = [];

    private MemberProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>The process id, e.g. to find the trial workers a node started.</summary>
    public int Id => _process.Id;

    public static MemberProcess Start(string name, string workingDirectory, params string[] args) =>
        Start(name, workingDirectory, networkNamespace: null, new Dictionary<string, string>(), args);

    /// <param name="networkNamespace">Run inside this network namespace (<c>ip netns exec</c>), as on a machine of its own.</param>
    /// <param name="environment">More CLUSTERTRAIN_* settings, as a container's environment gives them.</param>
    public static MemberProcess Start(string name, string workingDirectory, string? networkNamespace, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(networkNamespace is null ? "dotnet" : "ip")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        // `ip netns exec` execs the command in place, so the process is still the member's own (for KillAsync).
        if (networkNamespace is not null)
            foreach (var a in new[] { "netns", "exec", networkNamespace, "dotnet" }) start.ArgumentList.Add(a);
        start.ArgumentList.Add(ClusterTrainProcess.Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in FastFailureDetection.Concat(FreeApiPorts).Concat(environment)) start.Environment[key] = value;
        return new MemberProcess(name, Process.Start(start)!);
    }

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToList(); }
    }

    /// <summary>The first line, past or future, that matches.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            foreach (var line in _lines)
                if (regex.Match(line) is { Success: true } m) return m;
            _waiters.Add((regex, found));
        }
        try
        {
            return await found.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} wrote no line matching '{pattern}' within {timeout.TotalSeconds:F0} s; its last lines:\n{string.Join('\n', Lines.TakeLast(40))}");
        }
    }

    /// <summary>SIGKILL, this process only: its trial workers see their stdin close and stop on their own.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGINT, as Ctrl-C in a terminal sends to the command; returns its exit code.</summary>
    public Task<int> InterruptAsync(TimeSpan timeout) => SignalAsync("-INT", timeout);

    /// <summary>SIGTERM, as Kubernetes stops a pod; the exit code once the process has ended.</summary>
    public Task<int> TerminateAsync(TimeSpan timeout) => SignalAsync("-TERM", timeout);

    /// <summary>SIGTERM without waiting for the process to end (see <see cref="WaitForExitAsync"/>).</summary>
    public Task SendTerminateAsync() => SendSignalAsync("-TERM", _process.Id);

    /// <summary>The exit code once the process has ended.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Sends <paramref name="signal"/> (as <c>kill</c> names it, e.g. <c>-STOP</c>) to any process of this user.</summary>
    public static async Task SendSignalAsync(string signal, int processId)
    {
        using var kill = Process.Start("kill", [signal, processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private async Task<int> SignalAsync(string signal, TimeSpan timeout)
    {
        await SendSignalAsync(signal, _process.Id);
        return await WaitForExitAsync(timeout);
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lines)
        {
            _lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Pattern.IsMatch(line)).ToList())
            {
                waiter.Found.TrySetResult(waiter.Pattern.Match(line));
                _waiters.Remove(waiter);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
