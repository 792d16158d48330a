using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Sweeps;

public enum TrialState { Pending, Running, Completed, Diverged, Failed, Cancelled }

/// <summary>Where an attempt runs: a slot of a node, and the device that slot trains on ("cuda:1", "cpu").</summary>
public sealed record TrialSlot(string Node, int Index, string Device)
{
    public override string ToString() => $"{Node} slot {Index} ({Device})";
}

/// <summary>A trial's place in its lifecycle.</summary>
/// <param name="Attempts">Attempts started so far; the running one, if any, is attempt number Attempts.</param>
/// <param name="Slot">Where the current attempt runs; null unless Running.</param>
/// <param name="Reason">Why it failed, was cancelled, or went back to pending.</param>
/// <param name="Released">
/// Attempts that ended through no fault of the trial (its node shut down on purpose, or the attempt was interrupted
/// on request) and so do not count against the sweep's max_attempts.
/// </param>
public sealed record TrialStatus(TrialState State, int Attempts = 0, TrialSlot? Slot = null, string? Reason = null, int Released = 0)
{
    public static TrialStatus New { get; } = new(TrialState.Pending);

    /// <summary>Attempts that count against max_attempts: those started, less the released ones.</summary>
    public int CountedAttempts => Attempts - Released;

    public bool IsTerminal => State is TrialState.Completed or TrialState.Diverged or TrialState.Failed or TrialState.Cancelled;
}

/// <summary>The outcome of a transition: the new status, or the unchanged one and why the event was refused.</summary>
public sealed record Transition(TrialStatus Status, string? Rejection)
{
    public bool Accepted => Rejection is null;
}

/// <summary>
/// The trial state machine, as pure functions of a status and an event. Events come from nodes that may
/// be slow, lost or restarted, so every event about an attempt carries its number, and one about an
/// attempt that is no longer current is refused rather than applied to its successor.
/// Pending -> Running -> Completed | Diverged; Running -> Pending (node lost, crashed) while attempts remain,
/// else Failed; Running -> Pending without counting the attempt (node left on purpose, interrupted on request);
/// any state not yet terminal -> Cancelled.
/// </summary>
public sealed class TrialLifecycle
{
    public TrialLifecycle(int maxAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        MaxAttempts = maxAttempts;
    }

    public int MaxAttempts { get; }

    /// <summary>Pending -> Running as attempt Attempts + 1 in <paramref name="slot"/>.</summary>
    public Transition Start(TrialStatus status, TrialSlot slot) =>
        status.State == TrialState.Pending
            ? Accept(new TrialStatus(TrialState.Running, status.Attempts + 1, slot, Released: status.Released))
            : Reject(status, $"cannot start: {Describe(status)}; only a pending trial starts");

    /// <summary>
    /// The result of <paramref name="attempt"/>: Completed or Diverged. An interrupted attempt (stopped on
    /// request after a checkpoint, its node shutting down) goes back to pending like <see cref="NodeLeft"/>,
    /// without counting.
    /// </summary>
    public Transition Finish(TrialStatus status, int attempt, TrialOutcome outcome) =>
        CheckCurrent(status, attempt, "result") ?? outcome switch
        {
            TrialOutcome.Completed => Accept(new TrialStatus(TrialState.Completed, status.Attempts, Released: status.Released)),
            TrialOutcome.Diverged => Accept(new TrialStatus(TrialState.Diverged, status.Attempts, Released: status.Released)),
            _ => Release(status, $"attempt {attempt} was interrupted on {status.Slot}"),
        };

    /// <summary>
    /// The node running <paramref name="attempt"/> was removed without leaving on purpose (it crashed, was killed,
    /// or was cut off and downed): pending again, or Failed once MaxAttempts have been counted.
    /// </summary>
    public Transition NodeLost(TrialStatus status, int attempt, string why) =>
        CheckCurrent(status, attempt, "loss") ?? Retry(status, $"attempt {attempt} lost with {status.Slot}: {why}");

    /// <summary>
    /// The node running <paramref name="attempt"/> left the cluster on purpose (SIGTERM, Ctrl-C, scale-down):
    /// pending again, and the attempt does not count, as it was not the trial's fault.
    /// </summary>
    public Transition NodeLeft(TrialStatus status, int attempt, string why) =>
        CheckCurrent(status, attempt, "loss") ?? Release(status, $"attempt {attempt} stopped with {status.Slot}: {why}");

    /// <summary>The trial process of <paramref name="attempt"/> crashed: pending again, or Failed once MaxAttempts have been made.</summary>
    public Transition Crashed(TrialStatus status, int attempt, string error) =>
        CheckCurrent(status, attempt, "crash") ?? Retry(status, $"attempt {attempt} crashed on {status.Slot}: {error}");

    /// <summary>Any state not yet terminal -> Cancelled; a running attempt's later events are then refused.</summary>
    public Transition Cancel(TrialStatus status, string why) =>
        status.IsTerminal
            ? Reject(status, $"cannot cancel: {Describe(status)}")
            : Accept(new TrialStatus(TrialState.Cancelled, status.Attempts, Reason: why, Released: status.Released));

    private Transition Retry(TrialStatus status, string why) =>
        status.CountedAttempts >= MaxAttempts
            ? Accept(new TrialStatus(TrialState.Failed, status.Attempts, Reason: $"{why} (attempt {status.CountedAttempts} of {MaxAttempts}, none left)", Released: status.Released))
            : Accept(new TrialStatus(TrialState.Pending, status.Attempts, Reason: why, Released: status.Released));

    private static Transition Release(TrialStatus status, string why) =>
        Accept(new TrialStatus(TrialState.Pending, status.Attempts, Reason: $"{why} (not counted against max_attempts)", Released: status.Released + 1));

    /// <summary>A rejection unless <paramref name="attempt"/> is the one running now.</summary>
    private static Transition? CheckCurrent(TrialStatus status, int attempt, string eventName) =>
        status.State != TrialState.Running
            ? Reject(status, $"{eventName} of attempt {attempt} ignored: {Describe(status)}")
            : attempt != status.Attempts
                ? Reject(status, $"{eventName} of attempt {attempt} ignored: it was superseded by attempt {status.Attempts}")
                : null;

    private static string Describe(TrialStatus status) => status.State switch
    {
        TrialState.Pending => "the trial is pending, with no attempt running",
        TrialState.Running => $"the trial is running attempt {status.Attempts} on {status.Slot}",
        var s => $"the trial is already {s.ToString().ToLowerInvariant()}",
    };

    private static Transition Accept(TrialStatus status) => new(status, null);

    private static Transition Reject(TrialStatus status, string why) => new(status, why);
}
