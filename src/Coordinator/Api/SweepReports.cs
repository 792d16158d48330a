using System.Collections.Concurrent;
using Akka.Actor;
using ClusterTrain.Coordinator.Cli;
using ClusterTrain.Coordinator.Reports;
using ClusterTrain.Shared.Cluster;

namespace ClusterTrain.Coordinator.Api;

/// <summary>
/// The report folders of sweeps submitted through the API: <c>OUT/sweeps/&lt;sweep id&gt;/</c>, written by
/// <see cref="SweepReport.WriteTo"/> when a sweep ends and whenever a report of an unfinished sweep is asked for.
/// </summary>
public sealed class SweepReports(IActorRef coordinator, string outputFolder)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _writing = new();

    public string Folder(string sweepId) => Path.Combine(outputFolder, "sweeps", sweepId);

    /// <summary>Writes the report as the sweep stands now; one writer per sweep at a time.</summary>
    public async Task WriteAsync(SweepListing sweep)
    {
        var gate = _writing.GetOrAdd(sweep.SweepId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            var report = await SweepClient.ReportAsync(coordinator, sweep.Spec, sweep.SweepId);
            report.WriteTo(Folder(sweep.SweepId));
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The sweep's folder holds a written report (a coordinator that restarts does not write it again).</summary>
    public bool HasReport(string sweepId) => File.Exists(Path.Combine(Folder(sweepId), SweepReport.SummaryFile));

    /// <summary>
    /// The report folder's files, relative and '/'-separated; written first unless the sweep has ended and its
    /// report is there already.
    /// </summary>
    public async Task<IReadOnlyList<string>> FilesAsync(SweepListing sweep)
    {
        var folder = Folder(sweep.SweepId);
        if (!sweep.Counts.Finished || !HasReport(sweep.SweepId))
            await WriteAsync(sweep);
        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The sweep's PNG plots (top level of its folder), for the dashboard.</summary>
    public IReadOnlyList<string> Plots(string sweepId)
    {
        var folder = Folder(sweepId);
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.png").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList()
            : [];
    }
}
