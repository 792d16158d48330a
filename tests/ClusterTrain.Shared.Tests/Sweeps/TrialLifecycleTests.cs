using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Tests.Sweeps;

public class TrialLifecycleTests
{
    private static readonly TrialLifecycle Lifecycle = new(maxAttempts: 3);
    private static readonly TrialSlot NodeA = new("node-a", 0, "cuda:0");
    private static readonly TrialSlot NodeB = new("node-b", 1, "cuda:1");

    private static TrialStatus Accepted(Transition t)
    {
        Assert.True(t.Accepted, t.Rejection);
        return t.Status;
    }

    /// <summary>A trial started, lost and restarted until it runs attempt <paramref name="attempt"/>.</summary>
    private static TrialStatus RunningAttempt(int attempt)
    {
        var status = Accepted(Lifecycle.Start(TrialStatus.New, NodeA));
        for (var n = 1; n < attempt; n++)
        {
            status = Accepted(Lifecycle.NodeLost(status, n, "unreachable"));
            status = Accepted(Lifecycle.Start(status, NodeB));
        }
        return status;
    }

    [Fact]
    public void A_new_trial_is_pending_with_no_attempts()
    {
        Assert.Equal(new TrialStatus(TrialState.Pending, Attempts: 0), TrialStatus.New);
    }

    [Fact]
    public void Starting_a_pending_trial_runs_its_next_attempt_in_the_slot()
    {
        var status = Accepted(Lifecycle.Start(TrialStatus.New, NodeA));

        Assert.Equal(new TrialStatus(TrialState.Running, Attempts: 1, Slot: NodeA), status);
    }

    [Fact]
    public void A_running_trial_cannot_start_again()
    {
        var running = RunningAttempt(1);

        var t = Lifecycle.Start(running, NodeB);

        Assert.False(t.Accepted);
        Assert.Same(running, t.Status);
        Assert.Equal("cannot start: the trial is running attempt 1 on node-a slot 0 (cuda:0); only a pending trial starts", t.Rejection);
    }

    [Theory]
    [InlineData(TrialOutcome.Completed, TrialState.Completed)]
    [InlineData(TrialOutcome.Diverged, TrialState.Diverged)]
    public void The_result_of_the_current_attempt_ends_the_trial(TrialOutcome outcome, TrialState state)
    {
        var status = Accepted(Lifecycle.Finish(RunningAttempt(2), 2, outcome));

        Assert.Equal(new TrialStatus(state, Attempts: 2), status);
        Assert.True(status.IsTerminal);
    }

    [Fact]
    public void A_late_result_from_a_superseded_attempt_is_dropped()
    {
        var running = RunningAttempt(2);

        var late = Lifecycle.Finish(running, 1, TrialOutcome.Completed);

        Assert.False(late.Accepted);
        Assert.Same(running, late.Status);
        Assert.Equal("result of attempt 1 ignored: it was superseded by attempt 2", late.Rejection);
        Assert.Equal(TrialState.Completed, Accepted(Lifecycle.Finish(running, 2, TrialOutcome.Completed)).State);
    }

    [Fact]
    public void A_result_for_a_pending_trial_is_refused()
    {
        var lost = Accepted(Lifecycle.NodeLost(RunningAttempt(1), 1, "unreachable"));

        var t = Lifecycle.Finish(lost, 1, TrialOutcome.Completed);

        Assert.Equal("result of attempt 1 ignored: the trial is pending, with no attempt running", t.Rejection);
    }

    [Fact]
    public void A_result_after_completion_is_refused()
    {
        var completed = Accepted(Lifecycle.Finish(RunningAttempt(1), 1, TrialOutcome.Completed));

        var t = Lifecycle.Finish(completed, 1, TrialOutcome.Diverged);

        Assert.Equal("result of attempt 1 ignored: the trial is already completed", t.Rejection);
        Assert.Same(completed, t.Status);
    }

    [Fact]
    public void A_lost_node_puts_the_trial_back_to_pending_with_the_attempt_counted()
    {
        var status = Accepted(Lifecycle.NodeLost(RunningAttempt(1), 1, "unreachable for 30 s"));

        Assert.Equal(new TrialStatus(TrialState.Pending, Attempts: 1,
            Reason: "attempt 1 lost with node-a slot 0 (cuda:0): unreachable for 30 s"), status);
        Assert.Equal(2, Accepted(Lifecycle.Start(status, NodeB)).Attempts);
    }

    [Fact]
    public void Losing_the_last_attempt_fails_the_trial()
    {
        var status = Accepted(Lifecycle.NodeLost(RunningAttempt(3), 3, "unreachable"));

        Assert.Equal(TrialState.Failed, status.State);
        Assert.Equal("attempt 3 lost with node-b slot 1 (cuda:1): unreachable (attempt 3 of 3, none left)", status.Reason);
    }

    [Fact]
    public void A_crash_retries_while_attempts_remain_then_fails()
    {
        var retried = Accepted(Lifecycle.Crashed(RunningAttempt(2), 2, "CUDA out of memory"));
        var failed = Accepted(Lifecycle.Crashed(RunningAttempt(3), 3, "CUDA out of memory"));

        Assert.Equal((TrialState.Pending, 2), (retried.State, retried.Attempts));
        Assert.Equal("attempt 2 crashed on node-b slot 1 (cuda:1): CUDA out of memory", retried.Reason);
        Assert.Equal(TrialState.Failed, failed.State);
        Assert.Equal("attempt 3 crashed on node-b slot 1 (cuda:1): CUDA out of memory (attempt 3 of 3, none left)", failed.Reason);
    }

    [Fact]
    public void A_loss_or_crash_reported_for_a_superseded_attempt_is_refused()
    {
        var running = RunningAttempt(2);

        Assert.Equal("loss of attempt 1 ignored: it was superseded by attempt 2", Lifecycle.NodeLost(running, 1, "late").Rejection);
        Assert.Equal("crash of attempt 1 ignored: it was superseded by attempt 2", Lifecycle.Crashed(running, 1, "late").Rejection);
    }

    [Fact]
    public void With_one_attempt_allowed_the_first_crash_fails_the_trial()
    {
        var once = new TrialLifecycle(maxAttempts: 1);
        var running = once.Start(TrialStatus.New, NodeA).Status;

        Assert.Equal(TrialState.Failed, Accepted(once.Crashed(running, 1, "segfault")).State);
    }

    [Fact]
    public void An_interrupted_attempt_goes_back_to_pending_without_counting()
    {
        var status = Accepted(Lifecycle.Finish(RunningAttempt(1), 1, TrialOutcome.Interrupted));

        Assert.Equal(new TrialStatus(TrialState.Pending, Attempts: 1,
            Reason: "attempt 1 was interrupted on node-a slot 0 (cuda:0) (not counted against max_attempts)", Released: 1), status);
        Assert.Equal(0, status.CountedAttempts);
    }

    [Fact]
    public void A_trial_whose_node_leaves_on_purpose_more_often_than_max_attempts_is_still_pending()
    {
        var status = TrialStatus.New;
        for (var attempt = 1; attempt <= Lifecycle.MaxAttempts + 1; attempt++)
        {
            status = Accepted(Lifecycle.Start(status, NodeA));
            status = Accepted(Lifecycle.NodeLeft(status, attempt, "node-a left the cluster"));
        }

        Assert.Equal((TrialState.Pending, Lifecycle.MaxAttempts + 1, 0), (status.State, status.Attempts, status.CountedAttempts));
        Assert.Contains("not counted", status.Reason);
    }

    [Fact]
    public void Released_attempts_do_not_use_up_the_counted_ones()
    {
        var status = Accepted(Lifecycle.Start(TrialStatus.New, NodeA));
        status = Accepted(Lifecycle.NodeLeft(status, 1, "scale-down"));
        for (var attempt = 2; attempt <= Lifecycle.MaxAttempts; attempt++)
        {
            status = Accepted(Lifecycle.Start(status, NodeB));
            status = Accepted(Lifecycle.Crashed(status, attempt, "exit code 139"));
        }
        var beforeLast = status;
        status = Accepted(Lifecycle.Start(status, NodeB));
        var failed = Accepted(Lifecycle.Crashed(status, Lifecycle.MaxAttempts + 1, "exit code 139"));

        Assert.Equal(TrialState.Pending, beforeLast.State);
        Assert.Equal(TrialState.Failed, failed.State);
        Assert.Contains($"attempt {Lifecycle.MaxAttempts} of {Lifecycle.MaxAttempts}, none left", failed.Reason);
    }

    [Fact]
    public void A_pending_or_running_trial_can_be_cancelled_and_then_ignores_its_attempts_results()
    {
        var pending = Accepted(Lifecycle.Cancel(TrialStatus.New, "sweep cancelled"));
        var running = Accepted(Lifecycle.Cancel(RunningAttempt(1), "sweep cancelled"));

        Assert.Equal(new TrialStatus(TrialState.Cancelled, Attempts: 0, Reason: "sweep cancelled"), pending);
        Assert.Equal(new TrialStatus(TrialState.Cancelled, Attempts: 1, Reason: "sweep cancelled"), running);
        Assert.Equal("result of attempt 1 ignored: the trial is already cancelled",
            Lifecycle.Finish(running, 1, TrialOutcome.Completed).Rejection);
    }

    [Theory]
    [InlineData(TrialOutcome.Completed, "cannot cancel: the trial is already completed")]
    [InlineData(TrialOutcome.Diverged, "cannot cancel: the trial is already diverged")]
    public void A_finished_trial_cannot_be_cancelled(TrialOutcome outcome, string rejection)
    {
        var finished = Accepted(Lifecycle.Finish(RunningAttempt(1), 1, outcome));

        Assert.Equal(rejection, Lifecycle.Cancel(finished, "too late").Rejection);
    }

    [Fact]
    public void A_failed_or_cancelled_trial_cannot_start_again()
    {
        var failed = Accepted(Lifecycle.NodeLost(RunningAttempt(3), 3, "gone"));
        var cancelled = Accepted(Lifecycle.Cancel(TrialStatus.New, "stop"));

        Assert.Equal("cannot start: the trial is already failed; only a pending trial starts", Lifecycle.Start(failed, NodeA).Rejection);
        Assert.Equal("cannot start: the trial is already cancelled; only a pending trial starts", Lifecycle.Start(cancelled, NodeA).Rejection);
    }

    [Fact]
    public void A_lifecycle_needs_at_least_one_attempt()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrialLifecycle(maxAttempts: 0));
    }
}
