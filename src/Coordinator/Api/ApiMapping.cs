using ClusterTrain.Shared.Training;
using V1 = ClusterTrain.Api.V1;
using Core = ClusterTrain.Shared.Cluster;
using Sweeps = ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Coordinator.Api;

/// <summary>The API's messages from and to the coordinator's records.</summary>
public static class ApiMapping
{
    public static V1.SweepCounts ToApi(this Core.SweepCounts c) => new()
    {
        Pending = c.Pending, Running = c.Running, Completed = c.Completed, Diverged = c.Diverged,
        Failed = c.Failed, Cancelled = c.Cancelled, Total = c.Total,
    };

    public static Core.SweepCounts FromApi(this V1.SweepCounts c) => new(c.Pending, c.Running, c.Completed, c.Diverged, c.Failed, c.Cancelled);

    public static V1.SweepSummary ToApi(this Core.SweepListing s) => new()
    {
        SweepId = s.SweepId, Name = s.Spec.Name, Cancelled = s.Cancelled, Counts = s.Counts.ToApi(), Finished = s.Counts.Finished,
    };

    public static V1.TrialState ToApi(this Sweeps.TrialState s) => s switch
    {
        Sweeps.TrialState.Pending => V1.TrialState.Pending,
        Sweeps.TrialState.Running => V1.TrialState.Running,
        Sweeps.TrialState.Completed => V1.TrialState.Completed,
        Sweeps.TrialState.Diverged => V1.TrialState.Diverged,
        Sweeps.TrialState.Failed => V1.TrialState.Failed,
        Sweeps.TrialState.Cancelled => V1.TrialState.Cancelled,
        _ => V1.TrialState.Unspecified,
    };

    public static Sweeps.TrialState FromApi(this V1.TrialState s) => s switch
    {
        V1.TrialState.Running => Sweeps.TrialState.Running,
        V1.TrialState.Completed => Sweeps.TrialState.Completed,
        V1.TrialState.Diverged => Sweeps.TrialState.Diverged,
        V1.TrialState.Failed => Sweeps.TrialState.Failed,
        V1.TrialState.Cancelled => Sweeps.TrialState.Cancelled,
        _ => Sweeps.TrialState.Pending,
    };

    public static V1.Trial ToApi(this Core.TrialReport t)
    {
        var trial = new V1.Trial
        {
            TrialId = t.TrialId, Index = t.Index, Label = t.Label, State = t.State.ToApi(), Attempts = t.Attempts, Reason = t.Reason ?? "",
        };
        if (t.Slot is { } slot) trial.Slot = new V1.Slot { Node = slot.Node, Index = slot.Index, Device = slot.Device };
        if (t.Progress is { } p)
            trial.Progress = new V1.StepProgress
            {
                Step = p.Step, TotalSteps = p.TotalSteps, Epoch = p.Epoch, LearningRate = p.LearningRate,
                Loss = p.Loss, BatchError = p.BatchError, ImagesPerSecond = p.ImagesPerSecond,
            };
        if (t.Result is { } r)
        {
            trial.Result = new V1.TrialResult
            {
                Outcome = r.Outcome.ToString().ToLowerInvariant(), Steps = r.Steps, TotalSteps = r.TotalSteps,
                FinalTrainLoss = r.FinalTrainLoss, FinalTrainError = r.FinalTrainError,
                WallSeconds = r.WallSeconds, ImagesPerSecond = r.ImagesPerSecond, ResumedFromStep = r.ResumedFromStep,
            };
            if (r.TestLoss is { } testLoss) trial.Result.TestLoss = testLoss;
            if (r.TestError is { } testError) trial.Result.TestError = testError;
            if (r.ValidationError is { } validationError) trial.Result.ValidationError = validationError;
            if (r.DivergedAtStep is { } diverged) trial.Result.DivergedAtStep = diverged;
        }
        return trial;
    }

    public static Core.TrialReport FromApi(this V1.Trial t) => new(
        t.TrialId, t.Index, t.Label, t.State.FromApi(), t.Attempts,
        t.Slot is { } slot ? new Sweeps.TrialSlot(slot.Node, slot.Index, slot.Device) : null,
        t.Reason.Length == 0 ? null : t.Reason,
        t.Progress is { } p ? new StepProgress(p.Step, p.TotalSteps, p.Epoch, p.LearningRate, p.Loss, p.BatchError, p.ImagesPerSecond) : null,
        t.Result is { } r
            ? new TrialResult(Enum.Parse<TrialOutcome>(r.Outcome, ignoreCase: true), r.Steps, r.TotalSteps, r.FinalTrainLoss, r.FinalTrainError,
                r.HasTestLoss ? r.TestLoss : null, r.HasTestError ? r.TestError : null, r.HasValidationError ? r.ValidationError : null,
                r.WallSeconds, r.ImagesPerSecond, r.HasDivergedAtStep ? r.DivergedAtStep : null, r.ResumedFromStep)
            : null);
}
