using TorchSharp;
using ClusterTrain.GpuNode.Data;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Tests.Data;

public class SyntheticImagesTests
{
    [Fact]
    public void The_same_seed_gives_bitwise_the_same_images_and_labels()
    {
        using var first = SyntheticImages.Generate(256, 10, seed: 7);
        using var second = SyntheticImages.Generate(256, 10, seed: 7);
        using var other = SyntheticImages.Generate(256, 10, seed: 8);

        Assert.True(TensorAssert.Same(first.Images, second.Images));
        Assert.True(TensorAssert.Same(first.Labels, second.Labels));
        Assert.False(TensorAssert.Same(first.Images, other.Images));
    }

    [Fact]
    public void Images_are_3x32x32_uint8_spanning_the_range_with_balanced_labels()
    {
        using var data = SyntheticImages.Generate(1003, 10, seed: 1);

        Assert.Equal([1003L, 3, 32, 32], data.Images.shape);
        Assert.Equal(ScalarType.Byte, data.Images.dtype);
        Assert.Equal(10, data.Classes);
        var counts = data.ClassCounts();
        Assert.Equal(1003, counts.Sum());
        Assert.True(counts.Max() - counts.Min() <= 1, $"counts {string.Join(" ", counts)}");
        Assert.True(data.Images.min().ToByte() < 40 && data.Images.max().ToByte() > 215, "pixels should use most of 0..255");
        var (_, std) = data.ChannelStatistics();
        Assert.All(std, s => Assert.InRange(s, 0.08, 0.3));
    }

    [Fact]
    public void Other_sizes_and_class_counts_are_honoured()
    {
        using var data = SyntheticImages.Generate(30, 3, seed: 1, size: 16);

        Assert.Equal([30L, 3, 16, 16], data.Images.shape);
        Assert.Equal([10L, 10, 10], data.ClassCounts());
    }

    [Fact]
    public void Classes_are_distinct_pairs_of_atoms()
    {
        var pairs = SyntheticImages.ClassPairs(10, out var atoms);

        Assert.Equal(5, atoms);
        Assert.Equal(10, pairs.Distinct().Count());
        Assert.All(pairs, p => Assert.True(p.A < p.B && p.B < atoms));
    }

    [Fact]
    public void The_mean_colour_of_an_image_does_not_give_its_class_away()
    {
        using var train = SyntheticImages.Generate(2000, 10, seed: 1);
        using var test = SyntheticImages.Generate(1000, 10, seed: 2);
        using var scope = NewDisposeScope();

        // Nearest class centroid of per-image mean RGB, fitted on one set, scored on another.
        Tensor MeanColour(TensorDataset d) => d.Images.to(ScalarType.Float32).mean([2, 3]);
        var trainColour = MeanColour(train);
        var centroids = stack(Enumerable.Range(0, 10).Select(c => trainColour[train.Labels.eq(c)].mean([0])), 0);
        var predicted = cdist(MeanColour(test), centroids).argmin(1);
        var accuracy = predicted.eq(test.Labels).to(ScalarType.Float32).mean().ToSingle();

        Assert.True(accuracy < 0.2f, $"mean-colour nearest-centroid accuracy {accuracy:P1} (chance is 10%)");
    }

    [Fact]
    public void Class_mean_images_are_nearly_alike_so_pixels_alone_do_not_separate_classes()
    {
        using var data = SyntheticImages.Generate(4000, 10, seed: 3);
        using var scope = NewDisposeScope();

        var pixels = data.Images.to(ScalarType.Float32).div(255);
        var classMeans = stack(Enumerable.Range(0, 10).Select(c => pixels[data.Labels.eq(c)].mean([0])), 0);
        var spreadBetweenClasses = classMeans.std(0).mean().ToSingle();
        var spreadWithinClasses = pixels.std(0).mean().ToSingle();

        // With 400 images per class, sampling alone gives a between-class spread of about within/20.
        Assert.True(spreadBetweenClasses < spreadWithinClasses / 10,
            $"between-class spread {spreadBetweenClasses:F4}, within {spreadWithinClasses:F4}");
    }
}
