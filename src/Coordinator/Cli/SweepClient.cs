using Akka.Actor;
using ClusterTrain.Coordinator.Reports;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>What the CLI asks the sweep coordinator, through its singleton proxy.</summary>
public static class SweepClient
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Every trial's report, page by page, and the counts.</summary>
    public static async Task<(SweepCounts Counts, IReadOnlyList<TrialReport> Trials)> StatusAsync(IActorRef coordinator, string sweepId, CancellationToken cancellation = default)
    {
        var trials = new List<TrialReport>();
        SweepStatus page;
        do
        {
            page = await coordinator.Ask<SweepStatus>(new GetSweepStatus(sweepId, trials.Count), AskTimeout, cancellation);
            trials.AddRange(page.Trials);
        } while (page.Trials.Count > 0 && trials.Count < page.Counts.Total);
        return (page.Counts, trials);
    }

    /// <summary>The report of the sweep as it stands; <paramref name="coordinator"/> must run in this process (statistics have no wire format).</summary>
    public static async Task<SweepReport> ReportAsync(IActorRef coordinator, SweepSpec spec, string sweepId)
    {
        var (counts, trials) = await StatusAsync(coordinator, sweepId);
        var gradients = await coordinator.Ask<SweepGradients>(new GetSweepGradients(sweepId), AskTimeout);
        return new SweepReport(spec, sweepId, counts, trials, gradients);
    }

    public static void PrintProblems(string source, IReadOnlyList<string> problems)
    {
        Console.Error.WriteLine($"error: {source} is not a valid sweep ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):");
        foreach (var problem in problems) Console.Error.WriteLine($"  {problem}");
    }

    /// <summary>0 when every trial completed, 1 when some failed, diverged or were cancelled.</summary>
    public static int ExitCodeOf(SweepCounts counts) =>
        counts.Completed == counts.Total ? ExitCodes.Success : ExitCodes.TrialsFailed;
}
