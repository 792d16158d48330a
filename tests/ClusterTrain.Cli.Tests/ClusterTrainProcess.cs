using System.Diagnostics;

namespace ClusterTrain.Cli.Tests;

/// <summary>Runs the real <c>clustertrain</c> command (clustertrain.dll beside the tests) as a child process.</summary>
internal static class ClusterTrainProcess
{
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "clustertrain.dll");

    public static Task<Outcome> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string?>(), args);

    /// <param name="environment">Variables to set (a null value removes one inherited from the test process).</param>
    public static async Task<Outcome> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"clustertrain {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return new Outcome(process.ExitCode, await stdout, await stderr);
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "clustertrain-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
