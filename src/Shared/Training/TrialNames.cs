using ClusterTrain.Shared.Models;

namespace ClusterTrain.Shared.Training;

/// <summary>Names of the enum values in trial files and sweep specs.</summary>
public static class TrialNames
{
    public static EnumNames<ModelFamily> Family => ModelFamilyNames.Table;

    public static EnumNames<InitScheme> Init { get; } = new(
        (InitScheme.Default, "default"), (InitScheme.He, "he"), (InitScheme.Xavier, "xavier"));

    public static EnumNames<StemKind> Stem { get; } = new(
        (StemKind.Auto, "auto"), (StemKind.Small, "small"), (StemKind.ImageNet, "imagenet"));

    public static EnumNames<DatasetKind> Dataset { get; } = new(
        (DatasetKind.Synthetic, "synthetic"), (DatasetKind.Cifar10, "cifar10"),
        (DatasetKind.Mnist, "mnist"), (DatasetKind.ImageFolder, "imagefolder"));

    public static EnumNames<OptimizerKind> Optimizer { get; } = new(
        (OptimizerKind.Sgd, "sgd"), (OptimizerKind.Adam, "adam"));

    public static EnumNames<ScheduleKind> Schedule { get; } = new(
        (ScheduleKind.Constant, "constant"), (ScheduleKind.MultiStep, "multistep"), (ScheduleKind.Cosine, "cosine"));
}
