using ClusterTrain.Shared.Models;

namespace ClusterTrain.Shared.Training;

public enum DatasetKind { Synthetic, Cifar10, Mnist, ImageFolder }

/// <summary>Where a trial's images come from and how they are split and prepared.</summary>
/// <param name="Kind">Synthetic (procedural, offline), Cifar10 (binary batches), Mnist (IDX files) or
/// ImageFolder (Path/train/&lt;class&gt;/*.jpg|png and Path/test or Path/val).</param>
/// <param name="Path">Folder holding the dataset's files; required for every kind but Synthetic.</param>
/// <param name="Download">Fetch CIFAR-10 or MNIST into Path when absent, verifying checksums
/// (CLUSTERTRAIN_DATA_MIRROR replaces the canonical sources with a mirror).</param>
/// <param name="TrainLimit">Use only the first N training images (after the validation split).</param>
/// <param name="TestLimit">Use only the first N test images.</param>
/// <param name="ValidationFraction">Fraction of the training set held out for validation, chosen by a
/// permutation seeded with the trial seed; 0 for none.</param>
/// <param name="Augment">Pad-4 random crop and horizontal flip on training batches (flips suit natural
/// images, not digits: turn it off for MNIST).</param>
/// <param name="Normalize">Subtract the training split's per-channel mean and divide by its std;
/// otherwise pixels are only scaled to [0, 1].</param>
/// <param name="SyntheticTrainSize">Training images the synthetic generator makes.</param>
/// <param name="SyntheticTestSize">Test images the synthetic generator makes.</param>
/// <param name="SyntheticClasses">Classes of the synthetic set (at least 2).</param>
public sealed record DatasetSpec(
    DatasetKind Kind = DatasetKind.Synthetic,
    string? Path = null,
    bool Download = false,
    int? TrainLimit = null,
    int? TestLimit = null,
    double ValidationFraction = 0,
    bool Augment = true,
    bool Normalize = true,
    int SyntheticTrainSize = 4096,
    int SyntheticTestSize = 1024,
    int SyntheticClasses = 10);

public enum OptimizerKind { Sgd, Adam }

/// <param name="DecayBatchNorm">Apply weight decay to batch-norm scales and shifts (and biases) too.</param>
public sealed record OptimizerSpec(
    OptimizerKind Kind = OptimizerKind.Sgd,
    double LearningRate = 0.1,
    double Momentum = 0.9,
    bool Nesterov = false,
    double WeightDecay = 1e-4,
    bool DecayBatchNorm = true,
    double Beta1 = 0.9,
    double Beta2 = 0.999);

public enum ScheduleKind { Constant, MultiStep, Cosine }

/// <param name="Milestones">MultiStep: fractions of the total training steps (0..1) at which lr is multiplied by Gamma.</param>
/// <param name="WarmupSteps">Steps at WarmupLearningRate before the schedule proper starts (ResNet-110's 0.01 start).</param>
public sealed record ScheduleSpec(
    ScheduleKind Kind = ScheduleKind.Constant,
    IReadOnlyList<double>? Milestones = null,
    double Gamma = 0.1,
    int WarmupSteps = 0,
    double WarmupLearningRate = 0.01)
{
    /// <summary>By value, milestones compared element by element; null and empty milestones are equal.</summary>
    public bool Equals(ScheduleSpec? other) =>
        other is not null
        && Kind == other.Kind
        && (Milestones ?? []).SequenceEqual(other.Milestones ?? [])
        && Gamma.Equals(other.Gamma)
        && WarmupSteps == other.WarmupSteps
        && WarmupLearningRate.Equals(other.WarmupLearningRate);

    public override int GetHashCode() => HashCode.Combine(Kind, Milestones?.Count ?? 0, Gamma, WarmupSteps, WarmupLearningRate);
}

/// <param name="Every">Take a gradient snapshot at step 0 and every N steps after.</param>
/// <param name="HistogramBins">Bins of the log10|g| histogram between HistogramMinLog10 and HistogramMaxLog10.</param>
public sealed record StatsSpec(
    int Every = 10,
    int HistogramBins = 32,
    int HistogramMinLog10 = -12,
    int HistogramMaxLog10 = 2);

/// <summary>One trial, complete: what a GPU node needs to train it.</summary>
/// <param name="MaxSteps">Stop after this many optimizer steps even if epochs remain.</param>
/// <param name="CheckpointEvery">Write a checkpoint every N steps (0: only at the end).</param>
/// <param name="Threads">CPU threads for torch (0: torch's default).</param>
/// <param name="Device">"auto" (cuda:0 when present, else cpu), "cpu" or "cuda:N".</param>
public sealed record TrialConfig(
    ModelSpec Model,
    DatasetSpec Data,
    OptimizerSpec Optimizer,
    ScheduleSpec Schedule,
    StatsSpec Stats,
    int Epochs = 1,
    int? MaxSteps = null,
    int BatchSize = 128,
    int Seed = 0,
    int CheckpointEvery = 0,
    int EvalEvery = 0,
    int Threads = 0,
    string Device = "auto");
