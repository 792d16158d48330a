using System.Diagnostics;
using System.Globalization;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>
/// Live progress of a sweep from the coordinator's status: per running trial (step, loss, img/s, node) and overall
/// (trials by state, fraction of steps done, ETA). A Spectre.Console live bar and table on a terminal; plain lines when stdout is
/// redirected: one when a trial changes state and a progress line every few seconds.
/// </summary>
public abstract class SweepProgressDisplay : IDisposable
{
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private double _startFraction = -1;

    public static SweepProgressDisplay Create(string sweepName) =>
        Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive
            ? new PlainLines(sweepName)
            : new LiveTable(sweepName);

    public abstract void Show(SweepCounts counts, IReadOnlyList<TrialReport> trials);

    public virtual void Dispose() { }

    /// <summary>Fraction of the sweep done: ended trials count whole, running ones by their steps.</summary>
    protected static double Fraction(IReadOnlyList<TrialReport> trials) => trials.Count == 0 ? 1 : trials.Sum(t => t.State switch
    {
        TrialState.Pending => 0,
        TrialState.Running => t.Progress is { TotalSteps: > 0 } p ? (double)p.Step / p.TotalSteps : 0,
        _ => 1,
    }) / trials.Count;

    /// <summary>"12% done, ETA 1m 05s", the ETA from the pace since this run started.</summary>
    protected string Overall(SweepCounts counts, IReadOnlyList<TrialReport> trials)
    {
        var fraction = Fraction(trials);
        if (_startFraction < 0) _startFraction = fraction;
        var gained = fraction - _startFraction;
        var eta = gained > 0.001 ? TimeSpan.FromSeconds(_elapsed.Elapsed.TotalSeconds * (1 - fraction) / gained) : (TimeSpan?)null;
        return string.Create(CultureInfo.InvariantCulture,
            $"{counts.Completed + counts.Diverged + counts.Failed + counts.Cancelled}/{counts.Total} trials ended " +
            $"({counts.Running} running, {counts.Pending} pending, {counts.Failed} failed, {counts.Diverged} diverged), " +
            $"{fraction:P0} done, elapsed {Format(_elapsed.Elapsed)}, ETA {(eta is { } e ? Format(e) : "?")}");
    }

    protected static string Describe(TrialReport t) => (t.Progress is { } p
        ? string.Create(CultureInfo.InvariantCulture, $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} err {p.BatchError:P1} {p.ImagesPerSecond:F0} img/s")
        : "starting") + (t.Slot is { } slot ? $" on {slot.Node[(slot.Node.IndexOf('@') + 1)..]} slot {slot.Index}" : "");

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h {t.Minutes:D2}m" : $"{t.Minutes}m {t.Seconds:D2}s";

    private sealed class PlainLines(string sweepName) : SweepProgressDisplay
    {
        private readonly Dictionary<string, TrialState> _states = [];
        private readonly Stopwatch _sinceLastLine = Stopwatch.StartNew();

        public override void Show(SweepCounts counts, IReadOnlyList<TrialReport> trials)
        {
            var changed = false;
            foreach (var t in trials)
            {
                if (_states.TryGetValue(t.TrialId, out var before) && before == t.State) continue;
                var first = !_states.ContainsKey(t.TrialId);
                _states[t.TrialId] = t.State;
                if (first && t.State == TrialState.Pending) continue;
                changed = true;
                var detail = t.Result is { } r
                    ? string.Create(CultureInfo.InvariantCulture, $": {r.Steps} steps, train loss {r.FinalTrainLoss:F4}, test error {(r.TestError is { } e ? e.ToString("P2", CultureInfo.InvariantCulture) : "-")}, {r.WallSeconds:F1} s{(r.ResumedFromStep > 0 ? $", resumed from step {r.ResumedFromStep}" : "")}")
                    : t.Reason is { } reason ? $": {reason}" : t.Slot is { } slot ? $" on {slot}" : "";
                Console.WriteLine($"[{sweepName}] {t.Label} ({t.TrialId}) {t.State.ToString().ToLowerInvariant()}{detail}");
            }
            if (!changed && _sinceLastLine.Elapsed < TimeSpan.FromSeconds(5)) return;
            _sinceLastLine.Restart();
            foreach (var t in trials.Where(t => t.State == TrialState.Running))
                Console.WriteLine($"[{sweepName}]   {t.Label}: {Describe(t)}");
            Console.WriteLine($"[{sweepName}] {Overall(counts, trials)}");
        }
    }

    private sealed class LiveTable : SweepProgressDisplay
    {
        private const int BarWidth = 40;

        private readonly string _sweepName;
        private readonly ManualResetEventSlim _finished = new();
        private readonly Task _render;
        private volatile IRenderable _view = new Text("submitting...");

        public LiveTable(string sweepName)
        {
            _sweepName = sweepName;
            _render = Task.Run(() => AnsiConsole.Live(new Text("")).AutoClear(false).Start(context =>
            {
                while (!_finished.Wait(TimeSpan.FromMilliseconds(250)))
                {
                    context.UpdateTarget(_view);
                    context.Refresh();
                }
                context.UpdateTarget(_view);
                context.Refresh();
            }));
        }

        public override void Show(SweepCounts counts, IReadOnlyList<TrialReport> trials)
        {
            var table = new Table().Title(Markup.Escape($"sweep {_sweepName}")).AddColumns("trial", "state", "attempts", "progress");
            foreach (var t in trials)
            {
                var progress = t.State switch
                {
                    TrialState.Running => Describe(t),
                    _ when t.Result is { } r => string.Create(CultureInfo.InvariantCulture,
                        $"train loss {r.FinalTrainLoss:F4}, test error {(r.TestError is { } e ? e.ToString("P2", CultureInfo.InvariantCulture) : "-")}, {r.WallSeconds:F1} s"),
                    _ => t.Reason ?? "",
                };
                table.AddRow(Markup.Escape(t.Label), t.State.ToString().ToLowerInvariant(), t.Attempts.ToString(CultureInfo.InvariantCulture), Markup.Escape(progress));
            }
            table.Caption(Markup.Escape(Overall(counts, trials)));
            var done = (int)Math.Round(Fraction(trials) * BarWidth);
            _view = new Rows(new Markup($"[green]{new string('━', done)}[/][grey]{new string('━', BarWidth - done)}[/]"), table);
        }

        public override void Dispose()
        {
            if (_finished.IsSet) return;
            _finished.Set();
            _render.Wait();
        }
    }
}
