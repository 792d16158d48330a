using ClusterTrain.Shared;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Coordinator.Cluster.Internal;

/// <summary>
/// Every sweep the coordinator owns, in submission order, and the decisions that read them: which trial
/// a free slot gets, which attempts a lost node took with it. Events change it through <see cref="Apply"/>
/// only, the same way live and on replay.
/// </summary>
internal sealed class CoordinatorState
{
    private readonly Dictionary<string, SweepState> _sweeps = [];
    private readonly List<SweepState> _order = [];
    private readonly Dictionary<string, IReadOnlyList<string>> _unreadable = [];
    private readonly Dictionary<string, SweepSubmitted> _submitted = [];

    public IReadOnlyList<SweepState> Sweeps => _order;

    /// <summary>Sweeps whose stored spec no longer parses (a dataset folder gone, say), with the problems; their events are skipped.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Unreadable => _unreadable;

    public SweepState? Find(string sweepId) => _sweeps.GetValueOrDefault(sweepId);

    /// <summary>The sweep a submission describes, parsed and expanded, and its id; the same spec always gives the same id.</summary>
    /// <exception cref="ConfigException">The spec is invalid.</exception>
    public static SweepState Parse(string specYaml, string sourceName, string baseDirectory, SweepLimits limits)
    {
        var spec = SweepFile.Parse(specYaml, sourceName, baseDirectory, limits);
        var trials = spec.Expand();
        var clash = trials.GroupBy(t => t.TrialId).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new ConfigException([new Problem("", $"trials {string.Join(" and ", clash.Select(t => t.Index))} have the same config (id {clash.Key}); a sweep runs each config once per seed", Source: sourceName)]);
        return new SweepState(TrialIdentity.SweepId(spec.Name, trials.Select(t => t.TrialId)), spec, trials);
    }

    /// <summary>
    /// The trial a free <paramref name="slot"/> runs next: the lowest-index pending trial of the oldest sweep
    /// with room under its concurrency limit. Null when none fits.
    /// </summary>
    public (SweepState Sweep, TrialSpec Trial)? NextAssignment(TrialSlot slot)
    {
        foreach (var sweep in _order)
        {
            if (sweep.FirstPending() is not { } first) continue;
            var assignment = Scheduler.NextAssignments([first], [slot], sweep.RunningCount, sweep.Spec.Concurrency);
            if (assignment.Count > 0) return (sweep, assignment[0].Trial);
        }
        return null;
    }

    /// <summary>Some sweep has a pending trial and room under its concurrency limit to start it.</summary>
    public bool HasStartableWork =>
        _order.Any(s => s.FirstPending() is not null && (s.Spec.Concurrency == 0 || s.RunningCount < s.Spec.Concurrency));

    /// <summary>Attempts running on <paramref name="node"/> (optionally only in slot <paramref name="slotIndex"/>).</summary>
    public IEnumerable<(SweepState Sweep, TrialSpec Trial, TrialStatus Status)> RunningOn(string node, int? slotIndex = null) =>
        _order.SelectMany(sweep => sweep.Running()
            .Where(r => r.Status.Slot!.Node == node && (slotIndex is null || r.Status.Slot.Index == slotIndex))
            .Select(r => (sweep, r.Trial, r.Status)));

    public IEnumerable<(SweepState Sweep, TrialSpec Trial, TrialStatus Status)> AllRunning() =>
        _order.SelectMany(sweep => sweep.Running().Select(r => (sweep, r.Trial, r.Status)));

    /// <param name="parsed">The sweep of a <see cref="SweepSubmitted"/> as the coordinator just parsed it, to save parsing it twice.</param>
    public void Apply(ISweepEvent e, SweepState? parsed = null)
    {
        if (e is SweepSubmitted submitted)
        {
            Apply(submitted, parsed);
            return;
        }
        var sweepId = e switch
        {
            ITrialAttemptMessage m => m.SweepId,
            SweepCancelled c => c.SweepId,
            _ => throw new ArgumentException($"{e.GetType().Name} is not a sweep event this coordinator knows.", nameof(e)),
        };
        if (_unreadable.ContainsKey(sweepId)) return;
        var sweep = _sweeps.GetValueOrDefault(sweepId)
            ?? throw new InvalidOperationException($"The journal holds {e} for sweep {sweepId}, which was never submitted.");
        switch (e)
        {
            case TrialAssigned a: sweep.Apply(a); break;
            case StatsBatchRecorded s: sweep.Apply(s); break;
            case TrialEnded t: sweep.Apply(t); break;
            case TrialAttemptLost l: sweep.Apply(l); break;
            case SweepCancelled c: sweep.Apply(c); break;
        }
    }

    private void Apply(SweepSubmitted e, SweepState? parsed)
    {
        // The same id submitted twice is one sweep; the coordinator stores it once, but the check keeps replay safe.
        if (_sweeps.ContainsKey(e.SweepId) || _unreadable.ContainsKey(e.SweepId)) return;
        SweepState sweep;
        try
        {
            // A sweep accepted once stays accepted: the size limit in force today does not apply to it.
            sweep = parsed ?? Parse(e.SpecYaml, e.SourceName, e.BaseDirectory, new SweepLimits(int.MaxValue));
        }
        catch (ConfigException problem)
        {
            _unreadable[e.SweepId] = problem.Problems.Select(p => p.ToString()).ToList();
            return;
        }
        if (sweep.SweepId != e.SweepId)
            throw new InvalidOperationException(
                $"Sweep {e.SweepId} from {e.SourceName} now expands to sweep {sweep.SweepId}: the expansion rules changed since it was stored.");
        _sweeps[sweep.SweepId] = sweep;
        _submitted[sweep.SweepId] = e;
        _order.Add(sweep);
    }

    /// <summary>
    /// A snapshot holds every sweep whole. None is taken while a sweep is unreadable: its events were skipped, and
    /// only the journal keeps them for the incarnation that can read it again.
    /// </summary>
    public bool CanSnapshot => _unreadable.Count == 0;

    public CoordinatorSnapshot ToSnapshot() => new(_order.Select(s => s.ToSnapshot(_submitted[s.SweepId])).ToList());

    /// <summary>The state of a snapshot, into a state with no event applied yet; a sweep that no longer reads is set aside as on replay.</summary>
    public void Restore(CoordinatorSnapshot snapshot)
    {
        foreach (var sweep in snapshot.Sweeps)
        {
            Apply(sweep.Submitted);
            if (_sweeps.TryGetValue(sweep.Submitted.SweepId, out var state)) state.Restore(sweep);
        }
    }
}
