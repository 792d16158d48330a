using ClusterTrain.Shared.Cluster.Wire;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Cluster;

// Record <-> protobuf message, one pair per shape. Decoding checks what protobuf cannot: required
// sub-messages present and enum values known, so that a malformed frame fails here, by name.
public static partial class ProtocolCodec
{
    private static RequestWorkData ToData(RequestWork m) => new() { SlotIndex = m.SlotIndex, Device = m.Device };

    private static RequestWork FromData(RequestWorkData d) => new(d.SlotIndex, d.Device);

    private static StartTrialData ToData(StartTrial m) => new()
    {
        SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt,
        TrialConfigYaml = m.TrialConfigYaml, CheckpointFolder = m.CheckpointFolder, Label = m.Label,
    };

    private static StartTrial FromData(StartTrialData d) =>
        new(d.SweepId, d.TrialId, d.Attempt, d.TrialConfigYaml, d.CheckpointFolder, d.Label);

    private static TrialStartedData ToData(TrialStarted m) => new()
    {
        SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt, ResumedFromStep = m.ResumedFromStep,
    };

    private static TrialStarted FromData(TrialStartedData d) => new(d.SweepId, d.TrialId, d.Attempt, d.ResumedFromStep);

    private static TrialProgressedData ToData(TrialProgressed m) => new()
    {
        SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt, Progress = ToData(m.Progress),
    };

    private static TrialProgressed FromData(TrialProgressedData d) =>
        new(d.SweepId, d.TrialId, d.Attempt, FromData(Required(d.Progress, "TrialProgressed", "progress")));

    private static GradientStatsBatchData ToData(GradientStatsBatch m) =>
        BatchData(m.SweepId, m.TrialId, m.Attempt, m.SequenceNr, m.Snapshots);

    private static GradientStatsBatch FromData(GradientStatsBatchData d) =>
        new(d.SweepId, d.TrialId, d.Attempt, d.SequenceNr, Snapshots(d));

    private static GradientStatsBatchAcceptedData ToData(GradientStatsBatchAccepted m) => new()
    {
        SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt, SequenceNr = m.SequenceNr,
    };

    private static GradientStatsBatchAccepted FromData(GradientStatsBatchAcceptedData d) =>
        new(d.SweepId, d.TrialId, d.Attempt, d.SequenceNr);

    private static TrialFinishedData ToData(TrialFinished m) => new()
    {
        SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt, Result = ToData(m.Result),
    };

    private static TrialFinished FromData(TrialFinishedData d) =>
        new(d.SweepId, d.TrialId, d.Attempt, FromData(Required(d.Result, "TrialFinished", "result")));

    private static SubmitSweepData ToData(SubmitSweep m)
    {
        var data = new SubmitSweepData { SpecYaml = m.SpecYaml, SourceName = m.SourceName };
        if (m.BaseDirectory is not null) data.BaseDirectory = m.BaseDirectory;
        return data;
    }

    private static SubmitSweep FromData(SubmitSweepData d) =>
        new(d.SpecYaml, d.SourceName, d.HasBaseDirectory ? d.BaseDirectory : null);

    private static SweepAcceptedData ToData(SweepAccepted m) => new()
    {
        SweepId = m.SweepId, Name = m.Name, TrialCount = m.TrialCount, AlreadyKnown = m.AlreadyKnown,
    };

    private static SweepAccepted FromData(SweepAcceptedData d) => new(d.SweepId, d.Name, d.TrialCount, d.AlreadyKnown);

    private static SweepRejectedData ToData(SweepRejected m) => new() { SourceName = m.SourceName, Problems = { m.Problems } };

    private static SweepRejected FromData(SweepRejectedData d) => new(d.SourceName, d.Problems.ToList());

    private static GetSweepStatusData ToData(GetSweepStatus m) => new()
    {
        SweepId = m.SweepId, TrialOffset = m.TrialOffset, TrialLimit = m.TrialLimit,
    };

    private static GetSweepStatus FromData(GetSweepStatusData d) => new(d.SweepId, d.TrialOffset, d.TrialLimit);

    private static SweepStatusData ToData(SweepStatus m) => new()
    {
        SweepId = m.SweepId,
        Name = m.Name,
        Cancelled = m.Cancelled,
        Counts = new SweepCountsData
        {
            Pending = m.Counts.Pending, Running = m.Counts.Running, Completed = m.Counts.Completed,
            Diverged = m.Counts.Diverged, Failed = m.Counts.Failed, Cancelled = m.Counts.Cancelled,
        },
        Trials = { m.Trials.Select(ToData) },
    };

    private static SweepStatus FromData(SweepStatusData d)
    {
        var c = Required(d.Counts, "SweepStatus", "counts");
        return new SweepStatus(d.SweepId, d.Name, d.Cancelled,
            new SweepCounts(c.Pending, c.Running, c.Completed, c.Diverged, c.Failed, c.Cancelled),
            d.Trials.Select(FromData).ToList());
    }

    private static CoordinatorSnapshotData ToData(CoordinatorSnapshot m) => new() { Sweeps = { m.Sweeps.Select(ToData) } };

    private static CoordinatorSnapshot FromData(CoordinatorSnapshotData d) => new(d.Sweeps.Select(FromData).ToList());

    private static SweepSnapshotData ToData(SweepSnapshot m) => new()
    {
        Submitted = ToData(m.Submitted), Cancelled = m.Cancelled, Trials = { m.Trials.Select(ToData) }, EndedOrder = { m.EndedOrder },
    };

    private static SweepSnapshot FromData(SweepSnapshotData d) =>
        new(FromData(Required(d.Submitted, "SweepSnapshot", "submitted")), d.Cancelled, d.Trials.Select(FromData).ToList(), d.EndedOrder.ToList());

    private static TrialSnapshotData ToData(TrialStateSnapshot m)
    {
        var data = new TrialSnapshotData
        {
            TrialId = m.TrialId, State = (TrialStateData)(int)m.Status.State, Attempts = m.Status.Attempts, Released = m.Status.Released,
            StatsSequence = m.StatsSequence,
            Gradients = { m.Gradients.Select(g => new AttemptStepData { Attempt = g.Attempt, Snapshot = ToData(g.Snapshot) }) },
        };
        if (m.Status.Slot is { } slot) data.Slot = new TrialSlotData { Node = slot.Node, Index = slot.Index, Device = slot.Device };
        if (m.Status.Reason is not null) data.Reason = m.Status.Reason;
        if (m.Result is not null) data.Result = ToData(m.Result);
        if (m.SlotPath is not null) data.SlotPath = m.SlotPath;
        return data;
    }

    private static TrialStateSnapshot FromData(TrialSnapshotData d) => new(
        d.TrialId,
        new TrialStatus(
            Known((TrialState)(int)d.State, "TrialSnapshot", "state"),
            d.Attempts,
            d.Slot is { } s ? new TrialSlot(s.Node, s.Index, s.Device) : null,
            d.HasReason ? d.Reason : null,
            d.Released),
        d.Result is { } r ? FromData(r) : null,
        d.HasSlotPath ? d.SlotPath : null,
        d.StatsSequence,
        d.Gradients.Select(g => new AttemptStep(g.Attempt, FromData(Required(g.Snapshot, "AttemptStep", "snapshot")))).ToList());

    private static TrialReportData ToData(TrialReport m)
    {
        var data = new TrialReportData
        {
            TrialId = m.TrialId, Index = m.Index, Label = m.Label,
            State = (TrialStateData)(int)m.State, Attempts = m.Attempts,
        };
        if (m.Slot is { } slot) data.Slot = new TrialSlotData { Node = slot.Node, Index = slot.Index, Device = slot.Device };
        if (m.Reason is not null) data.Reason = m.Reason;
        if (m.Progress is not null) data.Progress = ToData(m.Progress);
        if (m.Result is not null) data.Result = ToData(m.Result);
        return data;
    }

    private static TrialReport FromData(TrialReportData d) => new(
        d.TrialId,
        d.Index,
        d.Label,
        Known((TrialState)(int)d.State, "TrialReport", "state"),
        d.Attempts,
        d.Slot is { } s ? new TrialSlot(s.Node, s.Index, s.Device) : null,
        d.HasReason ? d.Reason : null,
        d.Progress is { } p ? FromData(p) : null,
        d.Result is { } r ? FromData(r) : null);

    private static SweepSubmittedData ToData(SweepSubmitted m) => new()
    {
        SweepId = m.SweepId, SpecYaml = m.SpecYaml, SourceName = m.SourceName, BaseDirectory = m.BaseDirectory,
    };

    private static SweepSubmitted FromData(SweepSubmittedData d) => new(d.SweepId, d.SpecYaml, d.SourceName, d.BaseDirectory);

    private static TrialAssignedData ToData(TrialAssigned m) => new()
    {
        SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt, Node = m.Node,
        SlotIndex = m.SlotIndex, Device = m.Device, SlotPath = m.SlotPath,
    };

    private static TrialAssigned FromData(TrialAssignedData d) =>
        new(d.SweepId, d.TrialId, d.Attempt, d.Node, d.SlotIndex, d.Device, d.SlotPath);

    private static TrialEndedData ToData(TrialEnded m) => new()
    {
        SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt, Result = ToData(m.Result),
    };

    private static TrialEnded FromData(TrialEndedData d) =>
        new(d.SweepId, d.TrialId, d.Attempt, FromData(Required(d.Result, "TrialEnded", "result")));

    private static TrialAttemptLostData ToData(TrialAttemptLost m) => new()
    {
        SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt, Loss = (AttemptLossData)(int)m.Loss, Reason = m.Reason,
    };

    private static TrialAttemptLost FromData(TrialAttemptLostData d) =>
        new(d.SweepId, d.TrialId, d.Attempt, Known((AttemptLoss)(int)d.Loss, "TrialAttemptLost", "loss"), d.Reason);

    private static TrialAttemptData Attempt(ITrialAttemptMessage m) =>
        new() { SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt };

    private static TrialAttemptReasonData AttemptReason(ITrialAttemptMessage m, string reason) =>
        new() { SweepId = m.SweepId, TrialId = m.TrialId, Attempt = m.Attempt, Reason = reason };

    private static StepProgressData ToData(StepProgress p) => new()
    {
        Step = p.Step, TotalSteps = p.TotalSteps, Epoch = p.Epoch, LearningRate = p.LearningRate,
        Loss = p.Loss, BatchError = p.BatchError, ImagesPerSecond = p.ImagesPerSecond,
    };

    private static StepProgress FromData(StepProgressData d) =>
        new(d.Step, d.TotalSteps, d.Epoch, d.LearningRate, d.Loss, d.BatchError, d.ImagesPerSecond);

    private static TrialResultData ToData(TrialResult r)
    {
        var data = new TrialResultData
        {
            Outcome = (TrialOutcomeData)(int)r.Outcome,
            Steps = r.Steps,
            TotalSteps = r.TotalSteps,
            FinalTrainLoss = r.FinalTrainLoss,
            FinalTrainError = r.FinalTrainError,
            WallSeconds = r.WallSeconds,
            ImagesPerSecond = r.ImagesPerSecond,
            ResumedFromStep = r.ResumedFromStep,
        };
        if (r.TestLoss is { } testLoss) data.TestLoss = testLoss;
        if (r.TestError is { } testError) data.TestError = testError;
        if (r.ValidationError is { } validationError) data.ValidationError = validationError;
        if (r.DivergedAtStep is { } divergedAt) data.DivergedAtStep = divergedAt;
        return data;
    }

    private static TrialResult FromData(TrialResultData d) => new(
        Known((TrialOutcome)(int)d.Outcome, "TrialResult", "outcome"),
        d.Steps,
        d.TotalSteps,
        d.FinalTrainLoss,
        d.FinalTrainError,
        d.HasTestLoss ? d.TestLoss : null,
        d.HasTestError ? d.TestError : null,
        d.HasValidationError ? d.ValidationError : null,
        d.WallSeconds,
        d.ImagesPerSecond,
        d.HasDivergedAtStep ? d.DivergedAtStep : null,
        d.ResumedFromStep);

    internal static GradientStatsBatchData BatchData(
        string sweepId, string trialId, int attempt, long sequenceNr, IEnumerable<GradientSnapshot> snapshots) => new()
    {
        SweepId = sweepId, TrialId = trialId, Attempt = attempt, SequenceNr = sequenceNr,
        Snapshots = { snapshots.Select(ToData) },
    };

    private static List<GradientSnapshot> Snapshots(GradientStatsBatchData d) => d.Snapshots.Select(FromData).ToList();

    internal static GradientSnapshotData ToData(GradientSnapshot s)
    {
        var data = new GradientSnapshotData { Step = s.Step, Layers = { s.Layers.Select(ToData) } };
        // Unknown stays absent rather than NaN on the wire: it reads back the same and costs nothing.
        if (!double.IsNaN(s.TrainLoss)) data.TrainLoss = s.TrainLoss;
        if (!double.IsNaN(s.TrainError)) data.TrainError = s.TrainError;
        return data;
    }

    private static GradientSnapshot FromData(GradientSnapshotData d) => new(
        d.Step, d.Layers.Select(FromData).ToList(),
        d.HasTrainLoss ? d.TrainLoss : double.NaN,
        d.HasTrainError ? d.TrainError : double.NaN);

    internal static LayerStatsData ToData(LayerGradientStats l) => new()
    {
        Index = l.Index, Name = l.Name, Count = l.Count, L2Norm = l.L2Norm, Mean = l.Mean, Variance = l.Variance,
        MeanAbs = l.MeanAbs, MaxAbs = l.MaxAbs, NonFinite = l.NonFinite, WeightNorm = l.WeightNorm,
        UpdateRatio = l.UpdateRatio, Histogram = { l.Histogram },
    };

    private static LayerGradientStats FromData(LayerStatsData d) => new(
        d.Index, d.Name, d.Count, d.L2Norm, d.Mean, d.Variance, d.MeanAbs, d.MaxAbs, d.NonFinite, d.WeightNorm,
        d.UpdateRatio, d.Histogram.ToArray());

    private static T Required<T>(T? part, string message, string field) where T : class =>
        part ?? throw new InvalidDataException($"A '{message}' message lacks its '{field}'.");

    private static T Known<T>(T value, string message, string field) where T : struct, Enum =>
        Enum.IsDefined(value)
            ? value
            : throw new InvalidDataException($"A '{message}' message has an unknown '{field}': {Convert.ToInt32(value)}.");
}
