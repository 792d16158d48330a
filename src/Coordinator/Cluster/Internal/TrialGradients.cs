using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;

namespace ClusterTrain.Coordinator.Cluster.Internal;

/// <summary>
/// One trial's gradient snapshots, reassembled by step from batch parts. A later attempt resumes from a
/// checkpoint and reports its steps again: a step's layers come from the latest attempt that reported it,
/// and when the trial ends, steps a lost attempt reported past the final attempt's resume point go away.
/// </summary>
internal sealed class TrialGradients
{
    private sealed class Step(int attempt)
    {
        public int Attempt { get; } = attempt;
        public SortedDictionary<int, LayerGradientStats> Layers { get; } = [];
        public double TrainLoss { get; set; } = double.NaN;
        public double TrainError { get; set; } = double.NaN;
    }

    private readonly SortedDictionary<long, Step> _steps = [];

    public int StepCount => _steps.Count;

    public void Add(int attempt, IEnumerable<GradientSnapshot> parts)
    {
        foreach (var part in parts)
        {
            if (!_steps.TryGetValue(part.Step, out var step) || step.Attempt < attempt)
                _steps[part.Step] = step = new Step(attempt);
            foreach (var layer in part.Layers) step.Layers[layer.Index] = layer;
            // Every part of a step carries the same means; a part from a journal older than them carries NaN.
            if (!double.IsNaN(part.TrainLoss)) step.TrainLoss = part.TrainLoss;
            if (!double.IsNaN(part.TrainError)) step.TrainError = part.TrainError;
        }
    }

    /// <summary>Drops what earlier attempts reported from <paramref name="resumedFromStep"/> on: the final attempt recomputed that part.</summary>
    public void Settle(int finalAttempt, long resumedFromStep)
    {
        foreach (var stale in _steps.Where(s => s.Key >= resumedFromStep && s.Value.Attempt < finalAttempt).Select(s => s.Key).ToList())
            _steps.Remove(stale);
    }

    /// <summary>Every step with the attempt it holds the report of, for a snapshot; <see cref="Add"/> each back to restore.</summary>
    public IReadOnlyList<AttemptStep> Steps() =>
        _steps.Select(s => new AttemptStep(s.Value.Attempt, new GradientSnapshot(s.Key, s.Value.Layers.Values.ToList()))).ToList();

    /// <summary>Every step, ascending, its layers in depth order.</summary>
    public IReadOnlyList<GradientSnapshot> Snapshots() =>
        _steps.Select(s => new GradientSnapshot(s.Key, s.Value.Layers.Values.ToList(), s.Value.TrainLoss, s.Value.TrainError)).ToList();

    /// <summary>Each layer's statistics pooled over every step (<see cref="GradientStatsMerge"/>), in depth order.</summary>
    public IReadOnlyList<LayerGradientStats> PooledLayers() =>
        _steps.Values.SelectMany(s => s.Layers.Values)
            .GroupBy(l => l.Index)
            .OrderBy(g => g.Key)
            .Select(GradientStatsMerge.MergeAll)
            .ToList();
}
