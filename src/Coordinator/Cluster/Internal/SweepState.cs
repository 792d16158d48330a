using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Coordinator.Cluster.Internal;

/// <summary>
/// One sweep as its events made it: every trial's lifecycle status, accepted results, gradient statistics
/// per trial and per configuration across seeds. Changed only by <see cref="CoordinatorState.Apply"/>, and
/// the latest step of each running trial, which is shown and never stored.
/// </summary>
internal sealed class SweepState
{
    private readonly Dictionary<string, TrialSpec> _trials;
    private readonly Dictionary<string, TrialStatus> _statuses = [];
    private readonly Dictionary<string, TrialResult> _results = [];
    private readonly Dictionary<string, string> _slotPaths = [];
    private readonly Dictionary<string, long> _statsSequence = [];
    private readonly Dictionary<string, long> _statsWriting = [];
    private readonly Dictionary<string, TrialGradients> _gradients = [];
    private readonly Dictionary<string, SeedAggregate> _seedAggregates = [];
    private readonly Dictionary<string, StepProgress> _progress = [];
    private readonly SortedSet<int> _pending = [];
    private readonly SortedDictionary<int, TrialSpec> _running = [];
    private readonly List<string> _endedOrder = [];

    public SweepState(string sweepId, SweepSpec spec, IReadOnlyList<TrialSpec> trials)
    {
        SweepId = sweepId;
        Spec = spec;
        Trials = trials;
        Lifecycle = new TrialLifecycle(spec.MaxAttempts);
        _trials = trials.ToDictionary(t => t.TrialId);
        foreach (var trial in trials)
        {
            _statuses[trial.TrialId] = TrialStatus.New;
            _pending.Add(trial.Index);
        }
    }

    public string SweepId { get; }

    public SweepSpec Spec { get; }

    /// <summary>In expansion order: <see cref="TrialSpec.Index"/> is the position.</summary>
    public IReadOnlyList<TrialSpec> Trials { get; }

    public TrialLifecycle Lifecycle { get; }

    public bool Cancelled { get; private set; }

    public int RunningCount => _running.Count;

    public bool Contains(string trialId) => _trials.ContainsKey(trialId);

    public TrialSpec Trial(string trialId) => _trials[trialId];

    public TrialStatus Status(string trialId) => _statuses[trialId];

    public TrialResult? Result(string trialId) => _results.GetValueOrDefault(trialId);

    public string? SlotPath(string trialId) => _slotPaths.GetValueOrDefault(trialId);

    /// <summary>Sequence number of the last stored statistics batch of the running attempt (0: none yet).</summary>
    public long LastStatsSequence(string trialId) => _statsSequence.GetValueOrDefault(trialId);

    /// <summary>Like <see cref="LastStatsSequence"/>, counting the batch being written to the journal (never stored itself).</summary>
    public long LastStatsSequenceTaken(string trialId) => Math.Max(LastStatsSequence(trialId), _statsWriting.GetValueOrDefault(trialId));

    /// <summary>The coordinator is writing this batch; one more is the next to take.</summary>
    public void WritingStats(string trialId, long sequenceNr) => _statsWriting[trialId] = sequenceNr;

    /// <summary>True when <paramref name="attempt"/> is the one running now.</summary>
    public bool IsCurrent(string trialId, int attempt) =>
        _statuses.TryGetValue(trialId, out var s) && s.State == TrialState.Running && s.Attempts == attempt;

    /// <summary>Running trials by index; kept apart so that each slot's request costs the running trials, not the whole sweep.</summary>
    public IEnumerable<(TrialSpec Trial, TrialStatus Status)> Running() =>
        _running.Values.Select(t => (t, _statuses[t.TrialId]));

    /// <summary>The lowest-index pending trial, if the sweep has one and is not cancelled.</summary>
    public TrialSpec? FirstPending() => Cancelled || _pending.Count == 0 ? null : Trials[_pending.Min];

    public IReadOnlyList<GradientSnapshot> Snapshots(string trialId) =>
        _gradients.TryGetValue(trialId, out var g) ? g.Snapshots() : [];

    public IReadOnlyList<LayerGradientStats> PooledLayers(string trialId) =>
        _gradients.TryGetValue(trialId, out var g) ? g.PooledLayers() : [];

    /// <summary>Spread across the seeds of one configuration, from the trials that ended with a result.</summary>
    public IReadOnlyList<SeedSpread> SeedSpreads(string configurationKey) =>
        _seedAggregates.TryGetValue(configurationKey, out var a) ? a.Spreads() : [];

    public StepProgress? Progress(string trialId) => _progress.GetValueOrDefault(trialId);

    public void ReportProgress(string trialId, StepProgress progress) => _progress[trialId] = progress;

    public SweepCounts Counts()
    {
        int Count(TrialState s) => _statuses.Values.Count(v => v.State == s);
        return new SweepCounts(Count(TrialState.Pending), Count(TrialState.Running), Count(TrialState.Completed),
            Count(TrialState.Diverged), Count(TrialState.Failed), Count(TrialState.Cancelled));
    }

    public TrialReport Report(TrialSpec trial)
    {
        var status = _statuses[trial.TrialId];
        return new TrialReport(trial.TrialId, trial.Index, trial.Label, status.State, status.Attempts, status.Slot,
            status.Reason, status.State == TrialState.Running ? Progress(trial.TrialId) : null, Result(trial.TrialId));
    }

    internal void Apply(TrialAssigned e)
    {
        var slot = new TrialSlot(e.Node, e.SlotIndex, e.Device);
        var status = Expect(Lifecycle.Start(_statuses[e.TrialId], slot), e);
        if (status.Attempts != e.Attempt)
            throw new InvalidOperationException($"{e} does not follow attempt {status.Attempts - 1} of trial {e.TrialId}.");
        Set(e.TrialId, status);
        _slotPaths[e.TrialId] = e.SlotPath;
        _statsSequence[e.TrialId] = 0;
        _statsWriting.Remove(e.TrialId);
        _progress.Remove(e.TrialId);
    }

    internal void Apply(StatsBatchRecorded e)
    {
        if (!_gradients.TryGetValue(e.TrialId, out var gradients)) _gradients[e.TrialId] = gradients = new TrialGradients();
        gradients.Add(e.Attempt, e.Snapshots);
        _statsSequence[e.TrialId] = e.SequenceNr;
        if (_statsWriting.GetValueOrDefault(e.TrialId) <= e.SequenceNr) _statsWriting.Remove(e.TrialId);
    }

    internal void Apply(TrialEnded e)
    {
        Set(e.TrialId, Expect(Lifecycle.Finish(_statuses[e.TrialId], e.Attempt, e.Result.Outcome), e));
        if (e.Result.Outcome == TrialOutcome.Interrupted) return;

        _results[e.TrialId] = e.Result;
        if (!_gradients.TryGetValue(e.TrialId, out var gradients)) return;
        gradients.Settle(e.Attempt, e.Result.ResumedFromStep);
        Aggregate(e.TrialId, gradients);
    }

    /// <summary>Adds an ended trial's statistics to its configuration's spread across seeds.</summary>
    private void Aggregate(string trialId, TrialGradients gradients)
    {
        var trial = _trials[trialId];
        if (!_seedAggregates.TryGetValue(trial.ConfigurationKey, out var aggregate))
            _seedAggregates[trial.ConfigurationKey] = aggregate = new SeedAggregate();
        foreach (var snapshot in gradients.Snapshots()) aggregate.Add(trial.Seed, snapshot);
        // Kept for snapshots: the aggregates are rebuilt in this order, so that their sums come out bit for bit.
        _endedOrder.Add(trialId);
    }

    /// <summary>This sweep as a snapshot holds it; <paramref name="submitted"/> is the event that created it.</summary>
    internal SweepSnapshot ToSnapshot(SweepSubmitted submitted) => new(
        submitted,
        Cancelled,
        Trials.Select(t => new TrialStateSnapshot(t.TrialId, _statuses[t.TrialId], Result(t.TrialId), SlotPath(t.TrialId),
            LastStatsSequence(t.TrialId), _gradients.TryGetValue(t.TrialId, out var g) ? g.Steps() : [])).ToList(),
        _endedOrder.ToList());

    /// <summary>Takes the state a snapshot holds; this sweep must be as freshly parsed, with no event applied.</summary>
    /// <exception cref="InvalidOperationException">The snapshot names a trial this sweep does not have.</exception>
    internal void Restore(SweepSnapshot snapshot)
    {
        Cancelled = snapshot.Cancelled;
        foreach (var t in snapshot.Trials)
        {
            if (!_trials.ContainsKey(t.TrialId))
                throw new InvalidOperationException($"The snapshot holds trial {t.TrialId}, which sweep {SweepId} does not expand to.");
            Set(t.TrialId, t.Status);
            if (t.Result is not null) _results[t.TrialId] = t.Result;
            if (t.SlotPath is not null) _slotPaths[t.TrialId] = t.SlotPath;
            _statsSequence[t.TrialId] = t.StatsSequence;
            if (t.Gradients.Count == 0) continue;
            var gradients = _gradients[t.TrialId] = new TrialGradients();
            foreach (var step in t.Gradients) gradients.Add(step.Attempt, [step.Snapshot]);
        }
        foreach (var trialId in snapshot.EndedOrder) Aggregate(trialId, _gradients[trialId]);
    }

    internal void Apply(TrialAttemptLost e)
    {
        var status = _statuses[e.TrialId];
        var transition = e.Loss switch
        {
            AttemptLoss.NodeLost => Lifecycle.NodeLost(status, e.Attempt, e.Reason),
            AttemptLoss.NodeLeft => Lifecycle.NodeLeft(status, e.Attempt, e.Reason),
            _ => Lifecycle.Crashed(status, e.Attempt, e.Reason),
        };
        Set(e.TrialId, Expect(transition, e));
    }

    internal void Apply(SweepCancelled e)
    {
        Cancelled = true;
        foreach (var trial in Trials)
        {
            var transition = Lifecycle.Cancel(_statuses[trial.TrialId], e.Reason);
            if (transition.Accepted) Set(trial.TrialId, transition.Status);
        }
    }

    private void Set(string trialId, TrialStatus status)
    {
        _statuses[trialId] = status;
        var trial = _trials[trialId];
        if (status.State == TrialState.Pending) _pending.Add(trial.Index);
        else _pending.Remove(trial.Index);
        if (status.State == TrialState.Running) _running[trial.Index] = trial;
        else
        {
            _running.Remove(trial.Index);
            _slotPaths.Remove(trialId);
            _progress.Remove(trialId);
        }
    }

    // The coordinator checks every event against the lifecycle before storing it, so a refused transition
    // here means the journal and this code disagree: recovering further would build a wrong state.
    private static TrialStatus Expect(Transition transition, ISweepEvent e) =>
        transition.Accepted
            ? transition.Status
            : throw new InvalidOperationException($"The journal holds {e}, which the trial lifecycle refuses: {transition.Rejection}");
}
