using Akka.Actor;
using Akka.Event;
using ClusterTrain.GpuNode.Cluster.Internal;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// One slot of a GPU node: one device, one trial at a time, each in its own <see cref="TrialProcess"/>. Follows the
/// node side's contract in docs/architecture.md: pulls work when free; forwards the trial's start, progress and
/// statistics; sends statistics batches and the result again until acknowledged, the result only once every batch
/// is stored (the coordinator drops batches of a trial that has ended); heartbeats while running; stops the trial
/// on <see cref="CancelTrial"/>. The child's events and its exit arrive as messages, so the mailbox never blocks.
/// With <see cref="NodeOptions.SimulatedTrialSeconds"/>, a <see cref="SimulatedTrial"/> takes the process's place.
/// </summary>
public sealed class SlotActor : ReceiveActor, IWithTimers
{
    public static Props Props(SlotDevice slot, NodeOptions options, TrialProcessOptions process, IActorRef coordinator, TrialShutdowns shutdowns) =>
        Akka.Actor.Props.Create(() => new SlotActor(slot, options, process, coordinator, shutdowns));

    private const string AskTimer = "ask";
    private const string HeartbeatTimer = "heartbeat";
    private const string ResendTimer = "resend";

    private readonly SlotDevice _slot;
    private readonly NodeOptions _options;
    private readonly TrialProcessOptions _processOptions;
    private readonly IActorRef _coordinator;
    private readonly TrialShutdowns _shutdowns;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private StartTrial? _trial;
    private ITrialRun? _process;
    private StatsOutbox? _stats;
    private DateTime _lastProgress;
    private bool _cancelled;

    public SlotActor(SlotDevice slot, NodeOptions options, TrialProcessOptions process, IActorRef coordinator, TrialShutdowns shutdowns)
    {
        _shutdowns = shutdowns;
        _slot = slot;
        _options = options;
        _processOptions = process;
        _coordinator = coordinator;
        Become(Idle);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => AskForWork();

    protected override void PostStop()
    {
        // The node is stopping (NodeHosting stops its slots before the member leaves): the trial checkpoints and reports
        // Interrupted to nobody; the node waits for it to end, then leaves, and the coordinator requeues the attempt,
        // uncounted, once the member is removed; the next attempt resumes from that checkpoint. Stopped, the slot asks
        // for no more work.
        if (_process is { } process)
            _shutdowns.Add(process.StopAsync(_options.StopGrace).ContinueWith(_ => process.Dispose(), TaskScheduler.Default));
        base.PostStop();
    }

    private void BecomeIdle()
    {
        _trial = null;
        _process = null;
        _stats = null;
        _cancelled = false;
        Timers.CancelAll();
        Become(Idle);
        AskForWork();
    }

    /// <summary>Free: asks for work, again on <see cref="WorkAvailable"/> and after a while on its own.</summary>
    private void Idle()
    {
        Receive<StartTrial>(Start);
        Receive<NoWorkAvailable>(_ => Timers.StartSingleTimer(AskTimer, AskAgain.Instance, _options.ReaskInterval));
        Receive<WorkAvailable>(_ => AskForWork());
        Receive<AskAgain>(_ => AskForWork());
        Receive<CancelTrial>(c => _log.Info("Slot {0} runs nothing; ignored cancellation of {1} attempt {2}", _slot.Index, c.TrialId, c.Attempt));
        IgnoreLateAcknowledgements();
    }

    /// <summary>A trial's process runs; its events are forwarded to the coordinator.</summary>
    private void Running()
    {
        Receive<WorkerEventArrived>(e => OnWorkerEvent(e.Event));
        Receive<ProcessEnded>(e => OnProcessEnded(e.Exit));
        Receive<GradientStatsBatchAccepted>(a => IsCurrent(a), a => _stats!.Acknowledge(a.SequenceNr));
        Receive<Resend>(_ => SendUnacknowledgedBatches());
        Receive<Heartbeat>(_ => _coordinator.Tell(new TrialStillRunning(_trial!.SweepId, _trial.TrialId, _trial.Attempt)));
        Receive<CancelTrial>(c => IsCurrent(c), c =>
        {
            _log.Info("Slot {0}: stopping {1} attempt {2}: {3}", _slot.Index, c.TrialId, c.Attempt, c.Reason);
            _cancelled = true;
            // Its end arrives as ProcessEnded, like any other.
            _ = _process!.StopAsync(_options.StopGrace);
        });
        Receive<StartTrial>(s => _log.Warning("Slot {0} is running {1}; ignored StartTrial of {2} attempt {3}", _slot.Index, _trial!.TrialId, s.TrialId, s.Attempt));
        Receive<NoWorkAvailable>(_ => { });
        Receive<WorkAvailable>(_ => { });
        Receive<AskAgain>(_ => { });
        IgnoreLateAcknowledgements();
    }

    /// <summary>The process ended with a result: every batch is acknowledged first, then the result, each sent until it is.</summary>
    private void Reporting(TrialFinished finished)
    {
        Receive<GradientStatsBatchAccepted>(a => IsCurrent(a), a =>
        {
            _stats!.Acknowledge(a.SequenceNr);
            if (_stats.Empty) _coordinator.Tell(finished);
        });
        Receive<TrialFinishedAccepted>(a => IsCurrent(a), a =>
        {
            _log.Info("Slot {0}: the result of {1} attempt {2} is stored", _slot.Index, a.TrialId, a.Attempt);
            BecomeIdle();
        });
        Receive<Resend>(_ =>
        {
            if (_stats!.Empty) _coordinator.Tell(finished);
            else SendUnacknowledgedBatches();
        });
        Receive<Heartbeat>(_ => { });
        // The coordinator may cancel before it hears the result; the result then no longer matters.
        Receive<CancelTrial>(c => IsCurrent(c), _ => BecomeIdle());
        Receive<WorkerEventArrived>(_ => { });
        Receive<NoWorkAvailable>(_ => { });
        Receive<WorkAvailable>(_ => { });
        Receive<AskAgain>(_ => { });
        IgnoreLateAcknowledgements();
        if (_stats!.Empty) _coordinator.Tell(finished);
    }

    private void IgnoreLateAcknowledgements()
    {
        Receive<GradientStatsBatchAccepted>(_ => { });
        Receive<TrialFinishedAccepted>(_ => { });
        Receive<CancelTrial>(_ => { });
    }

    private void AskForWork()
    {
        Timers.Cancel(AskTimer);
        _coordinator.Tell(new RequestWork(_slot.Index, _slot.Device));
    }

    private void Start(StartTrial start)
    {
        TrialConfig config;
        try
        {
            config = TrialFile.Parse(start.TrialConfigYaml, $"{start.TrialId}/{TrialProcess.ConfigFileName}");
        }
        catch (Exception e)
        {
            _coordinator.Tell(new TrialCrashed(start.SweepId, start.TrialId, start.Attempt, $"the trial config does not read here: {e.Message}"));
            AskForWork();
            return;
        }
        var threads = config.Threads > 0 ? Math.Min(config.Threads, _slot.Threads) : _slot.Threads;
        var folder = string.IsNullOrWhiteSpace(_options.CheckpointRoot)
            ? start.CheckpointFolder
            : Path.Combine(_options.CheckpointRoot, start.SweepId, start.TrialId);
        var launch = new TrialLaunch(config, folder)
        {
            Device = _slot.Device,
            Threads = _slot.Device == "cpu" ? threads : null,
            TrialId = start.TrialId,
            Attempt = start.Attempt,
        };
        try
        {
            _process = _options.SimulatedTrialSeconds is { } seconds
                ? SimulatedTrial.Start(config, TimeSpan.FromSeconds(seconds))
                : TrialProcess.Start(launch, _processOptions);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            _coordinator.Tell(new TrialCrashed(start.SweepId, start.TrialId, start.Attempt, $"the trial process did not start: {e.Message}"));
            AskForWork();
            return;
        }
        _log.Info("Slot {0} ({1}): started {2} attempt {3} ({4}), {5}", _slot.Index, _slot.Device, start.TrialId, start.Attempt, start.Label, _process.Description);
        _trial = start;
        _stats = new StatsOutbox(start.SweepId, start.TrialId, start.Attempt);
        _lastProgress = DateTime.MinValue;
        PipeEvents(_process, Self);
        Timers.StartPeriodicTimer(HeartbeatTimer, Heartbeat.Instance, _options.HeartbeatInterval);
        Timers.StartPeriodicTimer(ResendTimer, Resend.Instance, _options.ResendInterval);
        Become(Running);
    }

    /// <summary>Reads the child's events on the thread pool and tells them to the slot, then its exit, in that order.</summary>
    private static void PipeEvents(ITrialRun process, IActorRef self) =>
        Task.Run(async () =>
        {
            await foreach (var e in process.Events.ReadAllAsync().ConfigureAwait(false))
                self.Tell(new WorkerEventArrived(e));
            self.Tell(new ProcessEnded(await process.Exit.ConfigureAwait(false)));
        });

    private void OnWorkerEvent(WorkerEvent workerEvent)
    {
        var trial = _trial!;
        switch (workerEvent)
        {
            case WorkerStarted started:
                _log.Info("Slot {0}: {1} attempt {2} training, resumed from step {3}", _slot.Index, trial.TrialId, trial.Attempt, started.Training.ResumedFromStep);
                _coordinator.Tell(new TrialStarted(trial.SweepId, trial.TrialId, trial.Attempt, started.Training.ResumedFromStep));
                break;
            case WorkerStep step:
                var now = DateTime.UtcNow;
                if (now - _lastProgress < _options.ProgressInterval && step.Progress.Step < step.Progress.TotalSteps) break;
                _lastProgress = now;
                _coordinator.Tell(new TrialProgressed(trial.SweepId, trial.TrialId, trial.Attempt, step.Progress));
                break;
            case WorkerSnapshot snapshot:
                foreach (var batch in _stats!.Add(snapshot.Snapshot)) _coordinator.Tell(batch);
                break;
        }
    }

    private void OnProcessEnded(TrialProcessExit exit)
    {
        var trial = _trial!;
        _process!.Dispose();
        _process = null;
        if (_cancelled)
        {
            _log.Info("Slot {0}: {1} attempt {2} stopped as asked", _slot.Index, trial.TrialId, trial.Attempt);
            BecomeIdle();
            return;
        }
        switch (exit)
        {
            case TrialProcessExit.Finished finished:
                _log.Info("Slot {0}: {1} attempt {2} ended {3} after {4} steps", _slot.Index, trial.TrialId, trial.Attempt,
                    finished.Result.Outcome, finished.Result.Steps);
                Timers.Cancel(HeartbeatTimer);
                var message = new TrialFinished(trial.SweepId, trial.TrialId, trial.Attempt, finished.Result);
                Become(() => Reporting(message));
                return;
            case TrialProcessExit.Failed failed:
                Crashed($"{failed.Kind}: {failed.Message}");
                return;
            case TrialProcessExit.Crashed crashed:
                var how = crashed.Signal is { } signal ? $"signal {signal}" : $"exit code {crashed.ExitCode}";
                Crashed($"the trial process died ({how}) without a result" + (crashed.StderrTail.Length > 0 ? $"; its last output:\n{crashed.StderrTail}" : ""));
                return;
        }

        void Crashed(string reason)
        {
            _log.Warning("Slot {0}: {1} attempt {2} crashed: {3}", _slot.Index, trial.TrialId, trial.Attempt, reason);
            _coordinator.Tell(new TrialCrashed(trial.SweepId, trial.TrialId, trial.Attempt, reason));
            BecomeIdle();
        }
    }

    private void SendUnacknowledgedBatches()
    {
        foreach (var batch in _stats!.Unacknowledged) _coordinator.Tell(batch);
    }

    private bool IsCurrent(ITrialAttemptMessage m) =>
        _trial is { } t && t.SweepId == m.SweepId && t.TrialId == m.TrialId && t.Attempt == m.Attempt;

    private sealed record WorkerEventArrived(WorkerEvent Event);

    private sealed record ProcessEnded(TrialProcessExit Exit);

    private sealed record AskAgain
    {
        public static AskAgain Instance { get; } = new();
    }

    private sealed record Heartbeat
    {
        public static Heartbeat Instance { get; } = new();
    }

    private sealed record Resend
    {
        public static Resend Instance { get; } = new();
    }
}
