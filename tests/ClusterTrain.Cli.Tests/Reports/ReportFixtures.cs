using ClusterTrain.Coordinator.Reports;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Cli.Tests.Reports;

/// <summary>A small sweep and hand-made statistics and results for it, shaped like the coordinator's.</summary>
public sealed class ReportFixture
{
    /// <summary>Plain and residual nets at depths 8 and 20, two seeds: eight trials. Histograms of 4 bins over [1e-6, 1e2).</summary>
    public const string Yaml = """
        name: report-test
        data: { kind: synthetic }
        fixed: { model.family: cifar-resnet, epochs: 1 }
        grid: { model.depth: [8, 20], model.shortcuts: [false, true] }
        seeds: [0, 1]
        stats: { every: 4, histogram_bins: 4, histogram_min_log10: -6, histogram_max_log10: 2 }
        """;

    public static readonly HistogramSpec Histograms = new(4, -6, 2);

    public ReportFixture(string yaml = Yaml)
    {
        Spec = SweepFile.Parse(yaml, "sweep.yaml", Path.GetTempPath());
        Trials = Spec.Expand();
    }

    public SweepSpec Spec { get; }
    public IReadOnlyList<TrialSpec> Trials { get; }
    public Dictionary<string, IReadOnlyList<GradientSnapshot>> Snapshots { get; } = [];
    public Dictionary<string, TrialReport> Reports { get; } = [];

    public TrialSpec Trial(int depth, bool residual, int seed) =>
        Trials.Single(t => t.Config.Model.Depth == depth && t.Config.Model.Shortcuts == residual && t.Seed == seed);

    /// <summary>Snapshots at steps 0, 4, 8, ...: layer i of snapshot k has norm norm(i, k), the training error error(k).</summary>
    public ReportFixture WithSnapshots(TrialSpec trial, int layers, int count, Func<int, int, double> norm, Func<int, double> error)
    {
        Snapshots[trial.TrialId] = Enumerable.Range(0, count)
            .Select(k => new GradientSnapshot(4L * k,
                Enumerable.Range(0, layers).Select(i => Layer(i, norm(i, k), Histogram(i, k))).ToList(),
                TrainLoss: 2 * error(k), TrainError: error(k)))
            .ToList();
        return this;
    }

    public ReportFixture WithResult(TrialSpec trial, TrialState state, TrialResult? result, string? reason = null)
    {
        Reports[trial.TrialId] = new TrialReport(trial.TrialId, trial.Index, trial.Label, state, 1, null, reason, null, result);
        return this;
    }

    public static TrialResult Completed(double testError, long steps = 12) =>
        new(TrialOutcome.Completed, steps, steps, 0.5, 0.2, 0.9, testError, null, 12.5, 800, null, 0);

    public static LayerGradientStats Layer(int index, double norm, long[] histogram) =>
        new(index, index == 0 ? "conv1.weight" : $"layer1.{index}.conv.weight", 100, norm, 0, 1e-4, 1e-3, 0.1, 0, 3, 1e-3, histogram);

    /// <summary>Counts that differ by layer and step, so that a panel or column read from the wrong place shows.</summary>
    public static long[] Histogram(int layer, int step) =>
        Enumerable.Range(0, Histograms.Length).Select(slot => (long)(slot + 1) * (layer + 1) + step * 100).ToArray();

    public IReadOnlyList<GradientSnapshot> SnapshotsOf(string trialId) =>
        Snapshots.TryGetValue(trialId, out var s) ? s : [];

    public SweepReport Report(SweepReportOptions? options = null)
    {
        var counts = new SweepCounts(
            Pending: Trials.Count(t => !Reports.ContainsKey(t.TrialId)),
            Running: Reports.Values.Count(r => r.State == TrialState.Running),
            Completed: Reports.Values.Count(r => r.State == TrialState.Completed),
            Diverged: Reports.Values.Count(r => r.State == TrialState.Diverged),
            Failed: Reports.Values.Count(r => r.State == TrialState.Failed),
            Cancelled: Reports.Values.Count(r => r.State == TrialState.Cancelled));
        var gradients = new SweepGradients("sweep-1", Snapshots.ToDictionary(p => p.Key, p => p.Value), new Dictionary<string, IReadOnlyList<SeedSpread>>());
        return new SweepReport(Spec, "sweep-1", counts, Reports.Values.ToList(), gradients, options);
    }

    public ReportPlotData Plots(string? heatmapTrial = null) =>
        ReportPlotData.Build(Trials, Reports, SnapshotsOf, ReportPlotData.ChooseHeatmapTrial(Trials, SnapshotsOf, heatmapTrial));

    /// <summary>Every trial of the sweep with snapshots (3 layers for depth 8, 5 for depth 20) and a completed result.</summary>
    public static ReportFixture Complete()
    {
        var fixture = new ReportFixture();
        foreach (var trial in fixture.Trials)
        {
            var depth = trial.Config.Model.Depth;
            var residual = trial.Config.Model.Shortcuts;
            // Plain nets: norms fall by a decade per layer towards the input; residual nets keep them level.
            fixture.WithSnapshots(trial, layers: depth == 8 ? 3 : 5, count: 3,
                norm: (i, k) => residual ? 0.5 + 0.1 * trial.Seed : Math.Pow(10, i - 4) * (1 + trial.Seed) / (1 + k),
                error: k => 0.9 - (residual ? 0.2 : 0.05) * k - 0.01 * trial.Seed);
            fixture.WithResult(trial, TrialState.Completed, Completed(testError: (residual ? 0.3 : 0.5) + depth / 1000.0 + 0.01 * trial.Seed));
        }
        return fixture;
    }
}
