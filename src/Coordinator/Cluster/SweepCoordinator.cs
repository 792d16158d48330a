using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence;
using ClusterTrain.Coordinator.Cluster.Internal;
using ClusterTrain.Shared;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Coordinator.Cluster;

/// <summary>
/// Owns every sweep: runs as the cluster singleton on role <c>coordinator</c>, event sourced into the journal.
/// GPU nodes' free slots pull work (<see cref="RequestWork"/>) and get <see cref="StartTrial"/> or
/// <see cref="NoWorkAvailable"/>; slots told there is none hear <see cref="WorkAvailable"/> when trials become
/// pending. Results and statistics batches are stored before they are acknowledged; reports of a superseded
/// attempt are acknowledged and dropped, so a trial has exactly one accepted result. Attempts on a member
/// that is removed from the cluster, or that is no member when the coordinator recovers, go back to pending (or
/// Failed once the sweep's attempts are used up); a member that left on purpose costs its trials no attempt.
/// The protocol is in ClusterTrain.Shared.Cluster.
/// </summary>
public sealed class SweepCoordinator : ReceivePersistentActor, IWithTimers
{
    public static Props Props(CoordinatorOptions options) => Akka.Actor.Props.Create(() => new SweepCoordinator(options));

    private readonly CoordinatorOptions _options;
    private readonly CoordinatorState _state = new();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<string> _members = [];
    private readonly HashSet<string> _leaving = [];
    private readonly HashSet<IActorRef> _idleSlots = [];
    private bool _stopping;
    private readonly Dictionary<(string SweepId, string TrialId), IActorRef> _slots = [];
    private long _snapshotAt;
    private long _snapshotStoredAt;
    private bool _snapshotsOutgrown;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Dictionary<(string SweepId, string TrialId, int Attempt), TimeSpan> _lastHeard = [];

    /// <summary>Checks, now and then, for running attempts that have gone silent.</summary>
    /// <summary>
    /// Sent by this member's CoordinatedShutdown before it leaves the cluster (local only, never over the network):
    /// answered with <see cref="Akka.Done"/> once every running attempt is released.
    /// </summary>
    public sealed class ReleaseRunningAttempts
    {
        public static readonly ReleaseRunningAttempts Instance = new();

        private ReleaseRunningAttempts() { }
    }

    private sealed class CheckSilentAttempts
    {
        public static readonly CheckSilentAttempts Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public SweepCoordinator(CoordinatorOptions options)
    {
        var problems = options.Check();
        if (problems.Count > 0) throw new ConfigException(problems);
        _options = options;
        PersistenceId = options.PersistenceId;
        Recover<SnapshotOffer>(offer =>
        {
            _state.Restore((CoordinatorSnapshot)offer.Snapshot);
            _snapshotAt = _snapshotStoredAt = offer.Metadata.SequenceNr;
        });
        Recover<ISweepEvent>(e => _state.Apply(e));
        AwaitingMembership();
    }

    public override string PersistenceId { get; }

    /// <summary>With snapshots off, recovery replays the whole journal and ignores any snapshot stored before.</summary>
    public override Recovery Recovery =>
        _options.SnapshotEvery == 0 ? new Recovery(SnapshotSelectionCriteria.None) : base.Recovery;

    protected override void PreStart()
    {
        base.PreStart();
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        base.PostStop();
    }

    /// <summary>
    /// After recovery, until the cluster's membership is known: attempts whose node is gone (it left while no
    /// coordinator ran) are lost; those on live members go on and their reports are accepted by attempt.
    /// </summary>
    private void AwaitingMembership()
    {
        Command<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members.Where(m => m.Status != MemberStatus.Removed && m.Status != MemberStatus.Down))
                _members.Add(member.Address.ToString());
            var orphans = _state.AllRunning()
                .Where(r => !_members.Contains(r.Status.Slot!.Node))
                .Select(r => Lost(r.Sweep, r.Trial, r.Status, AttemptLoss.NodeLost,
                    $"{r.Status.Slot!.Node} was no member of the cluster when the coordinator recovered"))
                .ToList();
            PersistThen(orphans, () =>
            {
                Become(Active);
                Stash.UnstashAll();
                if (_options.AttemptTimeout > TimeSpan.Zero)
                {
                    // Attempts recovered running get a full timeout from now: the slots heartbeat to the new incarnation.
                    foreach (var r in _state.AllRunning()) Heard(r.Sweep.SweepId, r.Trial.TrialId, r.Status.Attempts);
                    var every = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, _options.AttemptTimeout.Ticks / 4));
                    Timers.StartPeriodicTimer(nameof(CheckSilentAttempts), CheckSilentAttempts.Instance, every);
                }
            });
        });
        CommandAny(_ => Stash.Stash());
    }

    private void Active()
    {
        Command<ReleaseRunningAttempts>(_ => OnReleaseRunningAttempts());
        Command<RequestWork>(OnRequestWork);
        Command<TrialStarted>(m => OnAttemptHeard(m));
        Command<TrialStillRunning>(m => OnAttemptHeard(m));
        Command<TrialProgressed>(OnProgress);
        Command<GradientStatsBatch>(OnStatsBatch);
        Command<TrialFinished>(OnFinished);
        Command<TrialCrashed>(OnCrashed);
        Command<SubmitSweep>(OnSubmit);
        Command<GetSweepStatus>(OnGetStatus);
        Command<CancelSweep>(OnCancel);
        Command<GetSweepGradients>(OnGetGradients);
        Command<ListSweeps>(_ => Sender.Tell(new SweepList(
            _state.Sweeps.Select(s => new SweepListing(s.SweepId, s.Spec, s.Cancelled, s.Counts())).ToList())));
        Command<CheckSilentAttempts>(_ => OnCheckSilentAttempts());
        Command<ClusterEvent.MemberRemoved>(OnMemberRemoved);
        // Only the latest snapshot is kept; the journal keeps every event.
        Command<SaveSnapshotSuccess>(s =>
        {
            _snapshotStoredAt = s.Metadata.SequenceNr;
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f =>
            _log.Warning("The snapshot at event {0} was not stored ({1}); recovery replays from the one before", f.Metadata.SequenceNr, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning("Older snapshots were not deleted: {0}", f.Cause.Message));
        Command<ClusterEvent.IMemberEvent>(e =>
        {
            if (e.Member.Status is MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Up)
                _members.Add(e.Member.Address.ToString());
            if (e.Member.Status is MemberStatus.Leaving or MemberStatus.Exiting)
                _leaving.Add(e.Member.Address.ToString());
        });
        Command<Terminated>(t =>
        {
            _idleSlots.Remove(t.ActorRef);
            foreach (var key in _slots.Where(s => s.Value.Equals(t.ActorRef)).Select(s => s.Key).ToList()) _slots.Remove(key);
        });
    }

    private void OnRequestWork(RequestWork request)
    {
        var sender = Sender;
        var slot = new TrialSlot(NodeOf(sender), request.SlotIndex, request.Device);
        _idleSlots.Remove(sender);
        if (_stopping || _leaving.Contains(slot.Node))
        {
            // Its member is shutting down: a trial started there now would only be stopped again.
            sender.Tell(NoWorkAvailable.Instance);
            return;
        }
        // A slot asks only when it is free: an attempt still counted as running there has ended unseen.
        var vanished = _state.RunningOn(slot.Node, slot.Index)
            .Select(r => Lost(r.Sweep, r.Trial, r.Status, AttemptLoss.Crashed,
                $"{slot} asked for new work while attempt {r.Status.Attempts} was running there"))
            .ToList();
        PersistThen(vanished, () =>
        {
            if (vanished.Count > 0) AnnounceWorkIfPending();
            if (_state.NextAssignment(slot) is not { } next)
            {
                _idleSlots.Add(sender);
                Context.Watch(sender);
                sender.Tell(NoWorkAvailable.Instance);
                return;
            }
            var (sweep, trial) = next;
            var attempt = sweep.Status(trial.TrialId).Attempts + 1;
            var assigned = new TrialAssigned(sweep.SweepId, trial.TrialId, attempt, slot.Node, slot.Index, slot.Device,
                sender.Path.ToStringWithAddress(_cluster.SelfAddress));
            Store(assigned, e =>
            {
                _state.Apply(e);
                Heard(e.SweepId, e.TrialId, e.Attempt);
                _slots[(e.SweepId, e.TrialId)] = sender;
                Context.Watch(sender);
                sender.Tell(new StartTrial(e.SweepId, e.TrialId, e.Attempt,
                    TrialFile.ToYaml(sweep.Spec.ConfigFor(trial, slot)),
                    Path.Combine(_options.CheckpointRoot, e.SweepId, e.TrialId),
                    trial.Label));
            });
        });
    }

    /// <summary>
    /// The coordinator's member is stopping on purpose: every running attempt goes back to pending without counting
    /// against its trial (the trial did nothing wrong), its slot is told to stop it (it writes its checkpoint), and no
    /// slot gets new work from this incarnation. The next coordinator resumes the trials from their checkpoints.
    /// </summary>
    private void OnReleaseRunningAttempts()
    {
        var sender = Sender;
        _stopping = true;
        var running = _state.AllRunning().ToList();
        var stops = running.Select(r => (r.Sweep.SweepId, r.Trial.TrialId, r.Status.Attempts, SlotPath: r.Sweep.SlotPath(r.Trial.TrialId))).ToList();
        var released = running.Select(r => Lost(r.Sweep, r.Trial, r.Status, AttemptLoss.NodeLeft,
            "the coordinator stopped (not counted against max_attempts)")).ToList();
        PersistThen(released, () =>
        {
            foreach (var (sweepId, trialId, attempt, slotPath) in stops)
                TellSlot(sweepId, trialId, slotPath, new CancelTrial(sweepId, trialId, attempt, "the coordinator is stopping"));
            _log.Info("Released {0} running attempt(s): the coordinator is stopping", stops.Count);
            sender.Tell(Akka.Done.Instance);
        });
    }

    private void OnAttemptHeard(ITrialAttemptMessage m)
    {
        if (CurrentSweep(m) is null)
        {
            Sender.Tell(new CancelTrial(m.SweepId, m.TrialId, m.Attempt, Superseded(m)));
            return;
        }
        _slots[(m.SweepId, m.TrialId)] = Sender;
        Context.Watch(Sender);
        Heard(m.SweepId, m.TrialId, m.Attempt);
    }

    private void OnProgress(TrialProgressed m)
    {
        if (CurrentSweep(m) is not { } sweep) return;
        sweep.ReportProgress(m.TrialId, m.Progress);
        Heard(m.SweepId, m.TrialId, m.Attempt);
    }

    private void OnStatsBatch(GradientStatsBatch batch)
    {
        var sender = Sender;
        var accepted = new GradientStatsBatchAccepted(batch.SweepId, batch.TrialId, batch.Attempt, batch.SequenceNr);
        if (CurrentSweep(batch) is { }) Heard(batch.SweepId, batch.TrialId, batch.Attempt);
        if (CurrentSweep(batch) is not { } sweep)
        {
            _log.Info("Dropped statistics batch {0} of {1} attempt {2}: {3}", batch.SequenceNr, batch.TrialId, batch.Attempt, Superseded(batch));
            sender.Tell(accepted);
            return;
        }
        if (batch.SequenceNr <= sweep.LastStatsSequence(batch.TrialId))
        {
            sender.Tell(accepted);
            return;
        }
        var last = sweep.LastStatsSequenceTaken(batch.TrialId);
        // A resend of the batch being written: it is acknowledged once stored.
        if (batch.SequenceNr <= last) return;
        if (batch.SequenceNr > last + 1)
        {
            // Storing it would leave a hole; the node sends unacknowledged batches again, in order.
            _log.Warning("Statistics batch {0} of {1} attempt {2} came before batch {3}; not stored", batch.SequenceNr, batch.TrialId, batch.Attempt, last + 1);
            return;
        }
        sweep.WritingStats(batch.TrialId, batch.SequenceNr);
        Store(new StatsBatchRecorded(batch.SweepId, batch.TrialId, batch.Attempt, batch.SequenceNr, batch.Snapshots), e =>
        {
            _state.Apply(e);
            sender.Tell(accepted);
        });
    }

    private void OnFinished(TrialFinished finished)
    {
        var sender = Sender;
        var accepted = new TrialFinishedAccepted(finished.SweepId, finished.TrialId, finished.Attempt);
        if (CurrentSweep(finished) is null)
        {
            _log.Info("Dropped the result of {0} attempt {1}: {2}", finished.TrialId, finished.Attempt, Superseded(finished));
            sender.Tell(accepted);
            return;
        }
        Store(new TrialEnded(finished.SweepId, finished.TrialId, finished.Attempt, finished.Result), e =>
        {
            _state.Apply(e);
            _slots.Remove((e.SweepId, e.TrialId));
            sender.Tell(accepted);
            AnnounceWorkIfPending();
        });
    }

    private void OnCrashed(TrialCrashed crashed)
    {
        if (CurrentSweep(crashed) is not { } sweep) return;
        var status = sweep.Status(crashed.TrialId);
        PersistThen([Lost(sweep, sweep.Trial(crashed.TrialId), status, AttemptLoss.Crashed, crashed.Reason)], AnnounceWorkIfPending);
    }

    private void OnSubmit(SubmitSweep submit)
    {
        var sender = Sender;
        var baseDirectory = submit.BaseDirectory ?? Path.GetDirectoryName(Path.GetFullPath(submit.SourceName))!;
        SweepState parsed;
        try
        {
            parsed = CoordinatorState.Parse(submit.SpecYaml, submit.SourceName, baseDirectory, new SweepLimits(_options.MaxTrialsPerSweep));
        }
        catch (ConfigException e)
        {
            sender.Tell(new SweepRejected(submit.SourceName, e.Problems.Select(p => p.ToString()).ToList()));
            return;
        }
        if (_state.Unreadable.TryGetValue(parsed.SweepId, out var stored))
        {
            sender.Tell(new SweepRejected(submit.SourceName,
                [$"sweep {parsed.SweepId} is stored, but its stored spec no longer reads; fix this and restart the coordinator:", .. stored]));
            return;
        }
        if (_state.Find(parsed.SweepId) is { } known)
        {
            sender.Tell(new SweepAccepted(known.SweepId, known.Spec.Name, known.Trials.Count, AlreadyKnown: true));
            return;
        }
        Store(new SweepSubmitted(parsed.SweepId, submit.SpecYaml, submit.SourceName, baseDirectory), e =>
        {
            _state.Apply(e, parsed);
            sender.Tell(new SweepAccepted(parsed.SweepId, parsed.Spec.Name, parsed.Trials.Count, AlreadyKnown: false));
            AnnounceWorkIfPending();
        });
    }

    private void OnGetStatus(GetSweepStatus query)
    {
        if (_state.Find(query.SweepId) is not { } sweep)
        {
            Sender.Tell(new UnknownSweep(query.SweepId));
            return;
        }
        var page = sweep.Trials.Skip(Math.Max(0, query.TrialOffset)).Take(Math.Max(0, query.TrialLimit)).Select(sweep.Report).ToList();
        Sender.Tell(new SweepStatus(sweep.SweepId, sweep.Spec.Name, sweep.Cancelled, sweep.Counts(), page));
    }

    private void OnGetGradients(GetSweepGradients query)
    {
        if (_state.Find(query.SweepId) is not { } sweep)
        {
            Sender.Tell(new UnknownSweep(query.SweepId));
            return;
        }
        Sender.Tell(new SweepGradients(sweep.SweepId,
            sweep.Trials.ToDictionary(t => t.TrialId, t => sweep.Snapshots(t.TrialId)),
            sweep.Trials.Select(t => t.ConfigurationKey).Distinct().ToDictionary(k => k, sweep.SeedSpreads)));
    }

    private void OnCancel(CancelSweep cancel)
    {
        var sender = Sender;
        if (_state.Find(cancel.SweepId) is not { } sweep)
        {
            sender.Tell(new UnknownSweep(cancel.SweepId));
            return;
        }
        var counts = sweep.Counts();
        // A sweep that has ended keeps its record: cancelling it would only relabel trials that all ran.
        if (sweep.Cancelled || counts.Finished)
        {
            sender.Tell(new SweepCancellationAccepted(sweep.SweepId, 0));
            return;
        }
        var running = sweep.Running().Select(r => (r.Trial.TrialId, r.Status.Attempts, SlotPath: sweep.SlotPath(r.Trial.TrialId))).ToList();
        Store(new SweepCancelled(sweep.SweepId, cancel.Reason), e =>
        {
            _state.Apply(e);
            foreach (var (trialId, attempt, slotPath) in running)
                TellSlot(sweep.SweepId, trialId, slotPath, new CancelTrial(sweep.SweepId, trialId, attempt, $"sweep cancelled: {cancel.Reason}"));
            sender.Tell(new SweepCancellationAccepted(sweep.SweepId, counts.Pending + counts.Running));
        });
    }

    private void OnMemberRemoved(ClusterEvent.MemberRemoved removed)
    {
        var node = removed.Member.Address.ToString();
        _members.Remove(node);
        _leaving.Remove(node);
        // Exiting is the last status of a member that left on purpose (Cluster.Leave: SIGTERM, Ctrl-C, scale-down);
        // a member killed, crashed or cut off is Down first. Only the latter counts against the trial.
        var loss = removed.PreviousStatus == MemberStatus.Exiting ? AttemptLoss.NodeLeft : AttemptLoss.NodeLost;
        var lost = _state.RunningOn(node)
            .Select(r => Lost(r.Sweep, r.Trial, r.Status, loss, $"{node} left the cluster (it was {removed.PreviousStatus})"))
            .ToList();
        PersistThen(lost, AnnounceWorkIfPending);
    }

    private void Heard(string sweepId, string trialId, int attempt)
    {
        if (_options.AttemptTimeout > TimeSpan.Zero) _lastHeard[(sweepId, trialId, attempt)] = _clock.Elapsed;
    }

    /// <summary>
    /// A running attempt unheard for <see cref="CoordinatorOptions.AttemptTimeout"/> (its slot hung, or its messages are
    /// lost) is lost and counted like a crash; its slot is told to stop it, in case it still runs.
    /// </summary>
    private void OnCheckSilentAttempts()
    {
        var now = _clock.Elapsed;
        var running = _state.AllRunning().Select(r => (r.Sweep, r.Trial, r.Status, Key: (r.Sweep.SweepId, r.Trial.TrialId, r.Status.Attempts))).ToList();
        foreach (var r in running) _lastHeard.TryAdd(r.Key, now);
        var silent = running.Where(r => now - _lastHeard[r.Key] > _options.AttemptTimeout).ToList();
        foreach (var key in _lastHeard.Keys.Where(k => _state.Find(k.SweepId) is not { } s || !s.IsCurrent(k.TrialId, k.Attempt)).ToList())
            _lastHeard.Remove(key);
        if (silent.Count == 0) return;
        var stops = silent.Select(r => (r.Sweep.SweepId, r.Trial.TrialId, r.Status.Attempts, SlotPath: r.Sweep.SlotPath(r.Trial.TrialId))).ToList();
        var lost = silent.Select(r => Lost(r.Sweep, r.Trial, r.Status, AttemptLoss.Crashed,
            $"nothing heard from {r.Status.Slot} for {_options.AttemptTimeout} (the slot hung or its messages are lost)")).ToList();
        PersistThen(lost, () =>
        {
            foreach (var (sweepId, trialId, attempt, slotPath) in stops)
            {
                _lastHeard.Remove((sweepId, trialId, attempt));
                TellSlot(sweepId, trialId, slotPath, new CancelTrial(sweepId, trialId, attempt, $"no heartbeat for {_options.AttemptTimeout}"));
            }
            AnnounceWorkIfPending();
        });
    }

    private static TrialAttemptLost Lost(SweepState sweep, TrialSpec trial, TrialStatus status, AttemptLoss loss, string reason) =>
        new(sweep.SweepId, trial.TrialId, status.Attempts, loss, reason);

    /// <summary>Stores the events in order, applying each, then runs <paramref name="then"/> (at once when there are none).</summary>
    private void PersistThen(IReadOnlyList<ISweepEvent> events, Action then)
    {
        if (events.Count == 0)
        {
            then();
            return;
        }
        PersistAll(events, e =>
        {
            _state.Apply(e);
            if (e is ITrialAttemptMessage m) _slots.Remove((m.SweepId, m.TrialId));
            SnapshotIfDue();
        }, then);
    }

    /// <summary>Stores one event, then runs <paramref name="handler"/> (which applies it) and takes a snapshot when one is due.</summary>
    private void Store<TEvent>(TEvent e, Action<TEvent> handler) where TEvent : ISweepEvent =>
        Persist(e, stored =>
        {
            handler(stored);
            SnapshotIfDue();
        });

    /// <summary>A snapshot when <see cref="SnapshotSchedule"/> says one is due, so that recovery replays only the rest.</summary>
    private void SnapshotIfDue()
    {
        if (_snapshotsOutgrown || !SnapshotSchedule.IsDue(LastSequenceNr, _snapshotAt, _options.SnapshotEvery) || !_state.CanSnapshot) return;
        _snapshotAt = LastSequenceNr;
        var snapshot = _state.ToSnapshot();
        var size = ProtocolCodec.EncodedSize(snapshot);
        if (size > _options.SnapshotMaxBytes)
        {
            // The state only grows (sweeps are never forgotten), so no later snapshot would fit either.
            _snapshotsOutgrown = true;
            _log.Warning("No more snapshots: the coordinator's state is {0:N0} bytes, over {1}:{2} ({3:N0}); recovery replays the journal from event {4}",
                size, CoordinatorOptions.Section, nameof(CoordinatorOptions.SnapshotMaxBytes), _options.SnapshotMaxBytes, _snapshotStoredAt);
            return;
        }
        SaveSnapshot(snapshot);
    }

    /// <summary>
    /// Tells the idle slots to ask again, once an event made a trial startable. Only then: a pending trial held
    /// back by its sweep's concurrency limit must not set idle slots asking in circles.
    /// </summary>
    private void AnnounceWorkIfPending()
    {
        if (_stopping || _idleSlots.Count == 0 || !_state.HasStartableWork) return;
        foreach (var slot in _idleSlots) slot.Tell(WorkAvailable.Instance);
        _idleSlots.Clear();
    }

    /// <summary>The sweep, when <paramref name="m"/> is about the attempt running now; null for a superseded, ended or unknown one.</summary>
    private SweepState? CurrentSweep(ITrialAttemptMessage m) =>
        _state.Find(m.SweepId) is { } sweep && sweep.Contains(m.TrialId) && sweep.IsCurrent(m.TrialId, m.Attempt) ? sweep : null;

    private string Superseded(ITrialAttemptMessage m)
    {
        if (_state.Find(m.SweepId) is not { } sweep || !sweep.Contains(m.TrialId))
            return $"trial {m.TrialId} of sweep {m.SweepId} is unknown here";
        var status = sweep.Status(m.TrialId);
        return status.State == TrialState.Running
            ? $"attempt {m.Attempt} was superseded by attempt {status.Attempts}"
            : $"the trial is {status.State.ToString().ToLowerInvariant()} after attempt {status.Attempts}";
    }

    private void TellSlot(string sweepId, string trialId, string? slotPath, object message)
    {
        if (_slots.Remove((sweepId, trialId), out var slot)) slot.Tell(message);
        else if (slotPath is not null) Context.ActorSelection(slotPath).Tell(message);
    }

    /// <summary>The cluster address of the member an actor lives on; a local actor lives on this one.</summary>
    private string NodeOf(IActorRef actor) =>
        (actor.Path.Address.HasGlobalScope ? actor.Path.Address : _cluster.SelfAddress).ToString();
}
