using TorchSharp;
using ClusterTrain.GpuNode.Data;
using ClusterTrain.Shared.Training;
using ClusterTrain.Tests.Common;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Tests.Data;

public class DataSplitsTests
{
    private static readonly DatasetSpec Small = new(SyntheticTrainSize: 400, SyntheticTestSize: 50);

    /// <summary>A number per image that differs between distinct images, to compare sets of images.</summary>
    private static double[] Fingerprints(TensorDataset data)
    {
        using var scope = NewDisposeScope();
        var weights = linspace(1, 2, data.Channels * data.Height * data.Width, ScalarType.Float64);
        return data.Images.view(data.Count, -1).to(ScalarType.Float64).matmul(weights).data<double>().ToArray();
    }

    [Fact]
    public void A_synthetic_spec_gives_the_configured_sizes_and_statistics_of_the_training_split()
    {
        using var splits = DataSplits.Load(Small, seed: 0);

        Assert.Equal(400, splits.Train.Count);
        Assert.Equal(50, splits.Test.Count);
        Assert.Null(splits.Validation);
        Assert.Equal((3, 32, 32, 10), (splits.Channels, splits.Height, splits.Width, splits.Classes));
        var (mean, std) = splits.Train.ChannelStatistics();
        Assert.Equal(mean, splits.Mean);
        Assert.Equal(std, splits.Std);
        Assert.Equal(splits.Mean, splits.Normalization.Mean);
    }

    [Fact]
    public void Synthetic_data_is_the_same_for_every_trial_seed()
    {
        using var first = DataSplits.Load(Small, seed: 1);
        using var second = DataSplits.Load(Small, seed: 2);

        Assert.True(TensorAssert.Same(first.Train.Images, second.Train.Images));
        Assert.True(TensorAssert.Same(first.Test.Images, second.Test.Images));
        Assert.False(TensorAssert.Same(first.Train.Images[..50], first.Test.Images));
    }

    [Fact]
    public void Validation_holds_out_a_seeded_disjoint_fraction_of_training()
    {
        var spec = Small with { ValidationFraction = 0.25 };
        using var all = DataSplits.Load(Small, seed: 0);
        using var split = DataSplits.Load(spec, seed: 5);
        using var again = DataSplits.Load(spec, seed: 5);
        using var otherSeed = DataSplits.Load(spec, seed: 6);

        Assert.Equal(100, split.Validation!.Count);
        Assert.Equal(300, split.Train.Count);
        var trainPrints = Fingerprints(split.Train);
        var validationPrints = Fingerprints(split.Validation);
        Assert.Empty(trainPrints.Intersect(validationPrints));
        Assert.Equal(Fingerprints(all.Train).Order(), trainPrints.Concat(validationPrints).Order());
        Assert.Equal(validationPrints, Fingerprints(again.Validation!));
        Assert.NotEqual(validationPrints, Fingerprints(otherSeed.Validation!));
        // Statistics come from the training split only.
        Assert.Equal(split.Train.ChannelStatistics().Mean, split.Mean);
        Assert.NotEqual(all.Mean, split.Mean);
    }

    [Fact]
    public void Limits_keep_the_first_samples_after_the_validation_split()
    {
        var spec = Small with { ValidationFraction = 0.25 };
        using var unlimited = DataSplits.Load(spec, seed: 5);
        using var limited = DataSplits.Load(spec with { TrainLimit = 40, TestLimit = 7 }, seed: 5);

        Assert.Equal(40, limited.Train.Count);
        Assert.Equal(7, limited.Test.Count);
        Assert.Equal(100, limited.Validation!.Count);
        Assert.True(TensorAssert.Same(limited.Train.Images, unlimited.Train.Images[..40]));
        Assert.True(TensorAssert.Same(limited.Test.Labels, unlimited.Test.Labels[..7]));
        Assert.Equal(limited.Train.ChannelStatistics().Std, limited.Std);
    }

    [Fact]
    public void Without_normalisation_batches_only_scale_pixels_to_the_unit_range()
    {
        using var splits = DataSplits.Load(Small with { Normalize = false }, seed: 0);

        Assert.Equal([0f, 0f, 0f], splits.Normalization.Mean);
        Assert.Equal([1f, 1f, 1f], splits.Normalization.Std);
        Assert.NotEqual(0f, splits.Mean[0]);
    }

    [SkippableFact]
    public void A_cifar_spec_loads_the_shared_batches()
    {
        var folder = Path.GetDirectoryName(SharedData.Require("cifar10/data_batch_1.bin"))!;

        using var splits = DataSplits.Load(new DatasetSpec(DatasetKind.Cifar10, folder, TrainLimit: 5000), seed: 0);

        Assert.Equal(5000, splits.Train.Count);
        Assert.Equal(10000, splits.Test.Count);
        Assert.Equal("airplane", splits.ClassNames[0]);
        Assert.Equal(0.48, splits.Mean[0], 0.02);
    }

    [SkippableFact]
    public void An_mnist_spec_without_training_files_fails_clearly()
    {
        var folder = Path.GetDirectoryName(SharedData.Require("mnist/t10k-images-idx3-ubyte.gz"))!;

        var error = Assert.Throws<FileNotFoundException>(() => DataSplits.Load(new DatasetSpec(DatasetKind.Mnist, folder), seed: 0));

        Assert.Contains("only the t10k test set", error.Message);
    }

    [Theory]
    [InlineData(1.0, "ValidationFraction")]
    [InlineData(-0.1, "ValidationFraction")]
    [InlineData(0.001, "holds out 0")]
    public void Impossible_validation_fractions_are_rejected(double fraction, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => DataSplits.Load(Small with { ValidationFraction = fraction }, seed: 0));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Specs_that_cannot_be_loaded_say_why()
    {
        Assert.Contains("needs a Path", Assert.Throws<ArgumentException>(() => DataSplits.Load(new DatasetSpec(DatasetKind.Cifar10), 0)).Message);
        Assert.Contains("TrainLimit", Assert.Throws<ArgumentException>(() => DataSplits.Load(Small with { TrainLimit = 0 }, 0)).Message);
        Assert.Contains("ImageFolder", Assert.Throws<ArgumentException>(() =>
            DataSplits.Load(new DatasetSpec(DatasetKind.ImageFolder, "/nowhere", Download: true), 0)).Message);
    }
}
