using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Cluster.Tests.Coordinator;

public class SweepCoordinatorTests : CoordinatorFixture
{
    [Fact]
    public void Free_slots_get_pending_trials_in_order_and_never_more_than_the_concurrency_limit()
    {
        var yaml = Specs.FourTrials(concurrency: 2);
        var ids = TrialIds(yaml);
        var sweepId = Submit(yaml);
        var (a, b, c) = (Slot(), Slot(), Slot());

        var first = Pull(a, 0);
        var second = Pull(b, 1);
        c.Send(Coordinator, new RequestWork(2, "cpu"));
        c.ExpectMsg<NoWorkAvailable>(Wait);
        Finish(a, first);
        c.ExpectMsg<WorkAvailable>(Wait);
        var third = Pull(c, 2);

        Assert.Equal([ids[0], ids[1], ids[2]], [first.TrialId, second.TrialId, third.TrialId]);
        Assert.All([first, second, third], s => Assert.Equal(1, s.Attempt));
        Assert.Equal(Path.Combine(CheckpointRoot, sweepId, ids[0]), first.CheckpointFolder);
        Assert.Equal("cpu", TrialFile.Parse(first.TrialConfigYaml, "start.yaml").Device);
        Assert.Equal(Specs.Expand(yaml)[0].Label, first.Label);
        Assert.Equal(new SweepCounts(Pending: 1, Running: 2, Completed: 1, Diverged: 0, Failed: 0, Cancelled: 0), Status(sweepId).Counts);
    }

    [Fact]
    public void Trials_held_back_by_the_concurrency_limit_do_not_wake_idle_slots()
    {
        var sweepId = Submit(Specs.FourTrials(concurrency: 1));
        var (a, b, c) = (Slot(), Slot(), Slot());
        var running = Pull(a, 0);
        b.Send(Coordinator, new RequestWork(1, "cpu"));
        b.ExpectMsg<NoWorkAvailable>(Wait);

        c.Send(Coordinator, new RequestWork(2, "cpu"));
        c.ExpectMsg<NoWorkAvailable>(Wait);
        // The coordinator answers b in order: a WorkAvailable sent to b on c's request would come first.
        b.Send(Coordinator, new GetSweepStatus(sweepId, TrialLimit: 0));
        b.ExpectMsg<SweepStatus>(Wait);
        Finish(a, running);

        b.ExpectMsg<WorkAvailable>(Wait);
        c.ExpectMsg<WorkAvailable>(Wait);
    }

    [Fact]
    public void A_statistics_batch_is_stored_before_it_is_acknowledged_and_counted_once()
    {
        var sweepId = Submit(Specs.FourTrials());
        var slot = Slot();
        var start = Pull(slot, 0);
        GradientStatsBatch Batch(long sequenceNr) =>
            new(sweepId, start.TrialId, start.Attempt, sequenceNr, [Stats.Snapshot(step: sequenceNr * 10, layers: 3)]);

        slot.Send(Coordinator, Batch(1));
        slot.ExpectMsg<GradientStatsBatchAccepted>(m => m.SequenceNr == 1, Wait);
        slot.Send(Coordinator, Batch(1));
        slot.ExpectMsg<GradientStatsBatchAccepted>(m => m.SequenceNr == 1, Wait);
        slot.Send(Coordinator, Batch(3));
        slot.Send(Coordinator, Batch(2));
        // Replies come in order: batch 3, sent before batch 2, was not acknowledged.
        slot.ExpectMsg<GradientStatsBatchAccepted>(m => m.SequenceNr == 2, Wait);
        slot.Send(Coordinator, Batch(3));
        slot.ExpectMsg<GradientStatsBatchAccepted>(m => m.SequenceNr == 3, Wait);
        RestartCoordinator();

        Client.Send(Coordinator, new GetSweepGradients(sweepId));
        var stored = Client.ExpectMsg<SweepGradients>(Wait).Trials[start.TrialId];
        Assert.Equal([Batch(1).Snapshots[0], Batch(2).Snapshots[0], Batch(3).Snapshots[0]], stored);
    }

    [Fact]
    public void A_late_result_from_a_superseded_attempt_is_acknowledged_and_dropped_and_the_trial_keeps_one_result()
    {
        var sweepId = Submit(Specs.FourTrials(concurrency: 1));
        var (slot, old) = (Slot(), Slot());
        var first = Pull(slot, 0);
        // The slot asks again: its attempt ended unseen, so the same trial starts over as attempt 2.
        var second = Pull(slot, 0);

        Finish(slot, first, Stats.Completed(testError: 0.9));
        old.Send(Coordinator, new TrialStillRunning(sweepId, first.TrialId, first.Attempt));
        var stop = old.ExpectMsg<CancelTrial>(Wait);
        var whileRunning = Trial(sweepId, first.TrialId);
        Finish(slot, second, Stats.Completed(testError: 0.1));
        Finish(slot, second, Stats.Completed(testError: 0.5));
        var ended = Trial(sweepId, first.TrialId);

        Assert.Equal((first.TrialId, 2), (second.TrialId, second.Attempt));
        Assert.Contains("superseded by attempt 2", stop.Reason);
        Assert.Equal((TrialState.Running, 2), (whileRunning.State, whileRunning.Attempts));
        Assert.Equal(TrialState.Completed, ended.State);
        Assert.Equal(0.1, ended.Result!.TestError);
    }

    [Fact]
    public async Task Trials_of_a_member_that_leaves_go_back_to_pending_and_run_again_as_the_next_attempt()
    {
        var sweepId = Submit(Specs.FourTrials(concurrency: 1));
        var gpu = await ClusterMember.StartAsync(ClusterRoles.Gpu, [Member.Address]);
        var remoteSlot = new TestKit(gpu.System).CreateTestProbe();
        gpu.System.ActorSelection(Coordinator.Path.ToStringWithAddress(Member.Address)).Tell(new RequestWork(0, "cuda:0"), remoteSlot.Ref);
        var onGpu = remoteSlot.ExpectMsg<StartTrial>(Wait);
        Assert.Equal(gpu.Address.ToString(), Trial(sweepId, onGpu.TrialId).Slot!.Node);

        await gpu.DisposeAsync();

        Kit.AwaitAssert(() => Assert.Equal(TrialState.Pending, Trial(sweepId, onGpu.TrialId).State), Wait);
        var requeued = Trial(sweepId, onGpu.TrialId);
        Assert.Equal(1, requeued.Attempts);
        Assert.Contains($"{gpu.Address} left the cluster", requeued.Reason);
        var again = Pull(Slot(), 0);
        Assert.Equal((onGpu.TrialId, 2), (again.TrialId, again.Attempt));
    }

    /// <summary>A GPU member joins, its slot takes the next trial, and the member is handed back with the trial running.</summary>
    private async Task<(ClusterMember Gpu, StartTrial Start)> StartOnNewMemberAsync()
    {
        var gpu = await ClusterMember.StartAsync(ClusterRoles.Gpu, [Member.Address]);
        var remoteSlot = new TestKit(gpu.System).CreateTestProbe();
        gpu.System.ActorSelection(Coordinator.Path.ToStringWithAddress(Member.Address)).Tell(new RequestWork(0, "cpu"), remoteSlot.Ref);
        return (gpu, remoteSlot.ExpectMsg<StartTrial>(Wait));
    }

    [Fact]
    public async Task A_trial_whose_node_leaves_on_purpose_more_often_than_max_attempts_is_still_pending()
    {
        var sweepId = Submit(Specs.FourTrials(concurrency: 1, maxAttempts: 2));
        var starts = new List<StartTrial>();

        for (var n = 0; n < 3; n++)
        {
            var (gpu, start) = await StartOnNewMemberAsync();
            starts.Add(start);
            await gpu.DisposeAsync();
            Kit.AwaitAssert(() => Assert.Equal(TrialState.Pending, Trial(sweepId, start.TrialId).State), Wait);
        }

        var trial = Trial(sweepId, starts[0].TrialId);
        var next = Pull(Slot(), 0);
        Assert.All(starts, s => Assert.Equal(starts[0].TrialId, s.TrialId));
        Assert.Equal([1, 2, 3], starts.Select(s => s.Attempt));
        Assert.Equal((TrialState.Pending, 3), (trial.State, trial.Attempts));
        Assert.Contains("not counted against max_attempts", trial.Reason);
        Assert.Equal((starts[0].TrialId, 4), (next.TrialId, next.Attempt));
    }

    [Fact]
    public async Task A_trial_whose_node_is_downed_counts_the_attempt_and_fails_past_max_attempts()
    {
        var sweepId = Submit(Specs.FourTrials(concurrency: 1, maxAttempts: 1));
        var (gpu, start) = await StartOnNewMemberAsync();

        // Downed without leaving, as the split brain resolver does to a member that was killed.
        Member.Cluster.Down(gpu.Address);

        Kit.AwaitAssert(() => Assert.Equal(TrialState.Failed, Trial(sweepId, start.TrialId).State), Wait);
        Assert.Contains("(it was Down)", Trial(sweepId, start.TrialId).Reason);
        await gpu.DisposeAsync();
    }

    [Fact]
    public void An_attempt_interrupted_on_request_does_not_count_and_a_recovered_coordinator_agrees()
    {
        var sweepId = Submit(Specs.FourTrials(concurrency: 1, maxAttempts: 1));
        var slot = Slot();
        var first = Pull(slot, 0);

        Finish(slot, first, Stats.Completed() with { Outcome = TrialOutcome.Interrupted });
        var second = Pull(slot, 0);
        slot.Send(Coordinator, new TrialCrashed(sweepId, second.TrialId, second.Attempt, "exit code 139"));
        var whileLive = Trial(sweepId, first.TrialId);
        RestartCoordinator();
        var recovered = Trial(sweepId, first.TrialId);

        Assert.Equal((first.TrialId, 2), (second.TrialId, second.Attempt));
        Assert.Equal((TrialState.Failed, 2), (whileLive.State, whileLive.Attempts));
        Assert.Contains("attempt 1 of 1, none left", whileLive.Reason);
        Assert.Equal(whileLive, recovered);
    }

    [Fact]
    public void An_attempt_unheard_for_the_attempt_timeout_is_lost_counted_and_its_slot_told_to_stop_while_a_heartbeating_one_goes_on()
    {
        StopCoordinator();
        Coordinator = StartCoordinator(attemptTimeout: TimeSpan.FromSeconds(1));
        var sweepId = Submit(Specs.FourTrials(concurrency: 2));
        var (hung, alive) = (Slot(), Slot());
        var silent = Pull(hung, 0);
        var beating = Pull(alive, 1);

        // The hung slot says nothing; the other heartbeats until the hung one is told to stop.
        CancelTrial? stop = null;
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (stop is null && patience.Elapsed < Wait)
        {
            alive.Send(Coordinator, new TrialStillRunning(sweepId, beating.TrialId, beating.Attempt));
            stop = hung.ReceiveOne(TimeSpan.FromMilliseconds(200)) as CancelTrial;
        }
        Assert.NotNull(stop);
        var lost = Trial(sweepId, silent.TrialId);
        var stillRunning = Trial(sweepId, beating.TrialId);
        var retried = Pull(Slot(), 2);

        Assert.Equal((silent.TrialId, silent.Attempt), (stop.TrialId, stop.Attempt));
        Assert.Equal((TrialState.Pending, 1), (lost.State, lost.Attempts));
        Assert.Contains("nothing heard from", lost.Reason);
        Assert.DoesNotContain("not counted", lost.Reason);
        Assert.Equal(TrialState.Running, stillRunning.State);
        Assert.Equal((silent.TrialId, 2), (retried.TrialId, retried.Attempt));
    }

    [Fact]
    public void A_crash_on_the_last_attempt_fails_the_trial_with_the_reason_and_the_sweep_goes_on()
    {
        var yaml = Specs.FourTrials(concurrency: 1, maxAttempts: 2);
        var ids = TrialIds(yaml);
        var sweepId = Submit(yaml);
        var slot = Slot();

        var first = Pull(slot, 0);
        slot.Send(Coordinator, new TrialCrashed(sweepId, first.TrialId, 1, "CUDA out of memory"));
        var second = Pull(slot, 0);
        slot.Send(Coordinator, new TrialCrashed(sweepId, second.TrialId, 2, "segmentation fault"));
        var next = Pull(slot, 0);

        var failed = Trial(sweepId, ids[0]);
        Assert.Equal((ids[0], 2), (second.TrialId, second.Attempt));
        Assert.Equal((TrialState.Failed, 2), (failed.State, failed.Attempts));
        Assert.Contains("segmentation fault", failed.Reason);
        Assert.Contains("attempt 2 of 2, none left", failed.Reason);
        Assert.Equal((ids[1], 1), (next.TrialId, next.Attempt));
    }

    [Fact]
    public void A_new_coordinator_incarnation_recovers_every_sweep_and_never_reassigns_a_completed_trial()
    {
        var yaml = Specs.FourTrials();
        var ids = TrialIds(yaml);
        var sweepId = Submit(yaml);
        var slots = Enumerable.Range(0, 4).Select(_ => Slot()).ToList();
        var starts = slots.Select((s, i) => Pull(s, i)).ToList();
        Finish(slots[0], starts[0], Stats.Completed(testError: 0.3));

        RestartCoordinator();
        var recovered = Status(sweepId);
        var idle = Slot();
        idle.Send(Coordinator, new RequestWork(9, "cpu"));
        idle.ExpectMsg<NoWorkAvailable>(Wait);
        Finish(slots[1], starts[1]);

        Assert.Equal(new SweepCounts(Pending: 0, Running: 3, Completed: 1, Diverged: 0, Failed: 0, Cancelled: 0), recovered.Counts);
        Assert.Equal(0.3, recovered.Trials.Single(t => t.TrialId == ids[0]).Result!.TestError);
        Assert.All(recovered.Trials.Where(t => t.State == TrialState.Running), t => Assert.Equal(1, t.Attempts));
        Assert.Equal(TrialState.Completed, Trial(sweepId, ids[1]).State);
    }

    [Fact]
    public async Task A_coordinator_on_a_new_member_recovers_its_sweeps_from_the_sqlite_file()
    {
        var yaml = Specs.FourTrials();
        var ids = TrialIds(yaml);
        var sweepId = Submit(yaml);
        var slot = Slot();
        var start = Pull(slot, 0);
        Finish(slot, start, Stats.Completed(testError: 0.125));

        await RestartMemberAsync();

        Assert.True(new FileInfo(JournalFile).Length > 0, $"expected the journal in {JournalFile}");
        var recovered = Status(sweepId);
        Assert.Equal(new SweepCounts(Pending: 3, Running: 0, Completed: 1, Diverged: 0, Failed: 0, Cancelled: 0), recovered.Counts);
        Assert.Equal(0.125, recovered.Trials.Single(t => t.TrialId == ids[0]).Result!.TestError);
        Assert.Equal(ids[1], Pull(Slot(), 0).TrialId);
    }

    [Fact]
    public async Task A_running_trial_whose_member_left_while_no_coordinator_ran_is_requeued_on_recovery()
    {
        var sweepId = Submit(Specs.FourTrials());
        var gpu = await ClusterMember.StartAsync(ClusterRoles.Gpu, [Member.Address]);
        var remoteSlot = new TestKit(gpu.System).CreateTestProbe();
        gpu.System.ActorSelection(Coordinator.Path.ToStringWithAddress(Member.Address)).Tell(new RequestWork(0, "cuda:0"), remoteSlot.Ref);
        var onGpu = remoteSlot.ExpectMsg<StartTrial>(Wait);
        StopCoordinator();

        await gpu.DisposeAsync();
        Kit.AwaitAssert(() => Assert.DoesNotContain(Member.Cluster.State.Members, m => m.Address == gpu.Address), Wait);
        Coordinator = StartCoordinator();

        var requeued = Trial(sweepId, onGpu.TrialId);
        Assert.Equal((TrialState.Pending, 1), (requeued.State, requeued.Attempts));
        Assert.Contains("was no member of the cluster when the coordinator recovered", requeued.Reason);
    }

    [Fact]
    public void Cancelling_a_sweep_tells_its_running_slots_to_stop_and_cancels_the_pending_trials()
    {
        var sweepId = Submit(Specs.FourTrials());
        var (a, b) = (Slot(), Slot());
        var onA = Pull(a, 0);
        var onB = Pull(b, 1);
        // The new incarnation knows the slots only by the paths it stored.
        RestartCoordinator();

        Client.Send(Coordinator, new CancelSweep(sweepId, "enough"));
        var accepted = Client.ExpectMsg<SweepCancellationAccepted>(Wait);
        var stopA = a.ExpectMsg<CancelTrial>(Wait);
        var stopB = b.ExpectMsg<CancelTrial>(Wait);
        a.Send(Coordinator, new RequestWork(0, "cpu"));
        a.ExpectMsg<NoWorkAvailable>(Wait);
        Finish(b, onB);

        Assert.Equal(4, accepted.TrialsCancelled);
        Assert.Equal((onA.TrialId, onA.Attempt), (stopA.TrialId, stopA.Attempt));
        Assert.Equal((onB.TrialId, onB.Attempt), (stopB.TrialId, stopB.Attempt));
        Assert.Contains("enough", stopA.Reason);
        var status = Status(sweepId);
        Assert.True(status.Cancelled);
        Assert.Equal(4, status.Counts.Cancelled);
    }

    [Fact]
    public void An_invalid_spec_is_rejected_with_every_problem_and_nothing_is_stored()
    {
        const string yaml = "name: bad\nfixed: { model.family: cifar-resnet, model.depth: 21, optimizer: { lr: -1 } }\n";
        var sweepId = TrialIdentity.SweepId("bad", []);

        Client.Send(Coordinator, new SubmitSweep(yaml, "bad.yaml", Path.GetTempPath()));
        var rejected = Client.ExpectMsg<SweepRejected>(Wait);
        Client.Send(Coordinator, new GetSweepStatus(sweepId));

        Assert.Equal("bad.yaml", rejected.SourceName);
        Assert.Contains(rejected.Problems, p => p.Contains("model.depth"));
        Assert.Contains(rejected.Problems, p => p.Contains("lr"));
        Client.ExpectMsg<UnknownSweep>(Wait);
    }

    [Fact]
    public void A_stored_sweep_whose_data_folder_is_gone_is_set_aside_on_recovery_until_the_data_is_back()
    {
        var data = Directory.CreateTempSubdirectory("clustertrain-cifar-").FullName;
        void HoldATrainingBatch() => File.WriteAllBytes(Path.Combine(data, "data_batch_1.bin"), new byte[1 + 3 * 32 * 32]);
        HoldATrainingBatch();
        var yaml = $"name: cifar\ndata: {{ kind: cifar10, path: '{data}' }}\nfixed: {{ model.family: cifar-resnet, model.depth: 20 }}\n";
        var sweepId = Submit(yaml);
        Directory.Delete(data, recursive: true);

        RestartCoordinator();
        Client.Send(Coordinator, new GetSweepStatus(sweepId));
        Client.ExpectMsg<UnknownSweep>(Wait);
        Client.Send(Coordinator, new SubmitSweep(yaml, "sweep.yaml", Path.GetTempPath()));
        var whileGone = Client.ExpectMsg<SweepRejected>(Wait);
        Directory.CreateDirectory(data);
        HoldATrainingBatch();
        Client.Send(Coordinator, new SubmitSweep(yaml, "sweep.yaml", Path.GetTempPath()));
        var onceBack = Client.ExpectMsg<SweepRejected>(Wait);
        RestartCoordinator();
        var recovered = Status(sweepId);
        Directory.Delete(data, recursive: true);

        Assert.Contains(whileGone.Problems, p => p.Contains($"folder '{data}' does not exist"));
        Assert.Contains($"sweep {sweepId} is stored, but its stored spec no longer reads", onceBack.Problems[0]);
        Assert.Equal(1, recovered.Counts.Pending);
    }

    [Fact]
    public void Submitting_a_sweep_again_finds_the_stored_one_even_after_a_restart()
    {
        var yaml = Specs.FourTrials();
        var sweepId = Submit(yaml);

        Client.Send(Coordinator, new SubmitSweep(yaml, "sweep.yaml", Path.GetTempPath()));
        var again = Client.ExpectMsg<SweepAccepted>(Wait);
        RestartCoordinator();
        Client.Send(Coordinator, new SubmitSweep(yaml, "sweep.yaml", Path.GetTempPath()));
        var afterRestart = Client.ExpectMsg<SweepAccepted>(Wait);

        Assert.Equal(new SweepAccepted(sweepId, "four", 4, AlreadyKnown: true), again);
        Assert.Equal(again, afterRestart);
    }

    [Fact]
    public void A_resumed_attempt_replaces_the_statistics_it_recomputed_and_drops_what_only_the_lost_attempt_reported()
    {
        var sweepId = Submit(Specs.FourTrials(concurrency: 1));
        var slot = Slot();
        GradientSnapshot Step(long step, int attempt) =>
            new(step, Stats.Snapshot(step, layers: 2).Layers.Select(l => l with { L2Norm = attempt }).ToList());
        void Send(StartTrial start, long sequenceNr, params GradientSnapshot[] snapshots)
        {
            slot.Send(Coordinator, new GradientStatsBatch(sweepId, start.TrialId, start.Attempt, sequenceNr, snapshots));
            slot.ExpectMsg<GradientStatsBatchAccepted>(m => m.SequenceNr == sequenceNr, Wait);
        }

        var first = Pull(slot, 0);
        Send(first, 1, Step(0, 1), Step(10, 1));
        Send(first, 2, Step(20, 1), Step(30, 1));
        var second = Pull(slot, 0);
        Send(second, 1, Step(10, 2), Step(20, 2));
        Finish(slot, second, Stats.Completed() with { Outcome = TrialOutcome.Diverged, DivergedAtStep = 25, ResumedFromStep = 10 });
        Client.Send(Coordinator, new GetSweepGradients(sweepId));
        var stored = Client.ExpectMsg<SweepGradients>(Wait).Trials[first.TrialId];

        Assert.Equal([Step(0, 1), Step(10, 2), Step(20, 2)], stored);
    }

    [Fact]
    public void The_statistics_of_every_seed_of_a_configuration_are_merged_once_their_trials_end()
    {
        var trials = Specs.Expand(Specs.TwoSeeds);
        var sweepId = Submit(Specs.TwoSeeds);
        var (a, b) = (Slot(), Slot());
        var norms = new Dictionary<string, double> { [trials[0].TrialId] = 1.0, [trials[1].TrialId] = 3.0 };
        foreach (var (slot, index) in new[] { (a, 0), (b, 1) })
        {
            var start = Pull(slot, index);
            var snapshot = Stats.Snapshot(step: 0, layers: 2);
            var layers = snapshot.Layers.Select(l => l with { L2Norm = norms[start.TrialId] }).ToList();
            slot.Send(Coordinator, new GradientStatsBatch(sweepId, start.TrialId, 1, 1, [new GradientSnapshot(0, layers)]));
            slot.ExpectMsg<GradientStatsBatchAccepted>(Wait);
            Finish(slot, start);
        }

        Client.Send(Coordinator, new GetSweepGradients(sweepId));
        var spreads = Client.ExpectMsg<SweepGradients>(Wait).Configurations[trials[0].ConfigurationKey];

        Assert.Equal(2, spreads.Count);
        Assert.All(spreads, s => Assert.Equal((2L, 2.0, 1.0, 3.0), (s.Seeds, s.Mean, s.Min, s.Max)));
    }

    [Fact]
    public void A_stopping_coordinator_releases_its_running_attempts_uncounted_and_gives_out_no_more_work()
    {
        var sweepId = Submit(Specs.FourTrials(maxAttempts: 1));
        var slot = Slot();
        var start = Pull(slot, 0);

        Client.Send(Coordinator, SweepCoordinator.ReleaseRunningAttempts.Instance);
        Client.ExpectMsg<Akka.Done>(Wait);
        slot.ExpectMsg<CancelTrial>(c => c.TrialId == start.TrialId && c.Attempt == start.Attempt, Wait);
        var released = Trial(sweepId, start.TrialId);
        var idle = Slot();
        idle.Send(Coordinator, new RequestWork(1, "cpu"));
        idle.ExpectMsg<NoWorkAvailable>(Wait);
        RestartCoordinator();
        var again = Pull(slot, 0);
        Finish(slot, again);

        Assert.Equal((TrialState.Pending, 1), (released.State, released.Attempts));
        Assert.Contains("the coordinator stopped (not counted against max_attempts)", released.Reason);
        Assert.Equal((start.TrialId, 2), (again.TrialId, again.Attempt));
        Assert.Equal(TrialState.Completed, Trial(sweepId, start.TrialId).State);
    }

    [Fact]
    public void Cancelling_a_sweep_that_has_ended_changes_nothing()
    {
        var sweepId = Submit(Specs.TwoSeeds);
        var slot = Slot();
        Finish(slot, Pull(slot, 0));
        Finish(slot, Pull(slot, 0));

        Client.Send(Coordinator, new CancelSweep(sweepId, "too late"));
        var accepted = Client.ExpectMsg<SweepCancellationAccepted>(Wait);
        RestartCoordinator();
        var status = Status(sweepId);

        Assert.Equal(0, accepted.TrialsCancelled);
        Assert.False(status.Cancelled);
        Assert.Equal(new SweepCounts(Pending: 0, Running: 0, Completed: 2, Diverged: 0, Failed: 0, Cancelled: 0), status.Counts);
    }
}
