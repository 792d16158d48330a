using ClusterTrain.Shared.GradientStats;

namespace ClusterTrain.Shared.Tests.GradientStats;

public class GradientStatsMergeTests
{
    // Gradient elements [1, -1, 3]: sum of squares 11, mean 1, variance 8/3, mean |g| 5/3.
    private static readonly LayerGradientStats StepA = new(
        2, "layer1.0.conv1.weight", Count: 3, L2Norm: Math.Sqrt(11), Mean: 1, Variance: 8.0 / 3, MeanAbs: 5.0 / 3,
        MaxAbs: 3, NonFinite: 0, WeightNorm: 2, UpdateRatio: 0.01, Histogram: [1, 2, 0, 0]);

    // Gradient elements [2, -2, NaN]: sum of squares 8, mean 0, variance 4, mean |g| 2.
    private static readonly LayerGradientStats StepB = new(
        2, "layer1.0.conv1.weight", Count: 2, L2Norm: Math.Sqrt(8), Mean: 0, Variance: 4, MeanAbs: 2,
        MaxAbs: 2, NonFinite: 1, WeightNorm: 4, UpdateRatio: double.NaN, Histogram: [0, 1, 1, 0]);

    [Fact]
    public void Merged_statistics_describe_the_pooled_gradient_elements()
    {
        // Pooled [1, -1, 3, 2, -2]: sum 3, sum of squares 19, sum |g| 9.
        var merged = GradientStatsMerge.Merge(StepA, StepB);

        Assert.Equal(2, merged.Index);
        Assert.Equal("layer1.0.conv1.weight", merged.Name);
        Assert.Equal(5, merged.Count);
        Assert.Equal(1, merged.NonFinite);
        Assert.Equal(0.6, merged.Mean, 12);
        Assert.Equal(19.0 / 5 - 0.36, merged.Variance, 12);
        Assert.Equal(1.8, merged.MeanAbs, 12);
        Assert.Equal(3, merged.MaxAbs);
        Assert.Equal(Math.Sqrt(19), merged.L2Norm, 12);
        Assert.Equal([1L, 3, 1, 0], merged.Histogram);
    }

    [Fact]
    public void Per_step_values_are_averaged_over_snapshots_leaving_out_unknown_ones()
    {
        var merged = GradientStatsMerge.Merge(StepA, StepB);

        Assert.Equal(3, merged.WeightNorm, 12);
        Assert.Equal(0.01, merged.UpdateRatio);
    }

    [Fact]
    public void Merging_several_pools_all_their_elements()
    {
        // Gradient elements [-5]; pooled with A and B: [1, -1, 3, 2, -2, -5], sum -2, sum of squares 44, sum |g| 14.
        var stepC = StepA with
        {
            Count = 1, L2Norm = 5, Mean = -5, Variance = 0, MeanAbs = 5, MaxAbs = 5, Histogram = [0, 0, 0, 1],
        };

        var all = GradientStatsMerge.MergeAll([StepA, StepB, stepC]);

        Assert.Equal(6, all.Count);
        Assert.Equal(-1.0 / 3, all.Mean, 12);
        Assert.Equal(44.0 / 6 - 1.0 / 9, all.Variance, 12);
        Assert.Equal(14.0 / 6, all.MeanAbs, 12);
        Assert.Equal(5, all.MaxAbs);
        Assert.Equal(Math.Sqrt(44), all.L2Norm, 12);
        Assert.Equal([1L, 3, 1, 1], all.Histogram);
    }

    [Fact]
    public void Merging_nothing_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => GradientStatsMerge.MergeAll([]));
    }

    [Fact]
    public void Merging_with_a_snapshot_without_elements_keeps_the_other_side()
    {
        var empty = StepA with
        {
            Count = 0, NonFinite = 0, L2Norm = 0, Mean = double.NaN, Variance = double.NaN,
            MeanAbs = double.NaN, MaxAbs = double.NaN, WeightNorm = double.NaN, UpdateRatio = double.NaN,
            Histogram = [0, 0, 0, 0],
        };

        Assert.Equal(StepB, GradientStatsMerge.Merge(empty, StepB));
        Assert.Equal(StepA, GradientStatsMerge.Merge(StepA, empty));
    }

    [Fact]
    public void Statistics_of_different_layers_cannot_be_merged()
    {
        var other = StepB with { Index = 3, Name = "layer1.0.conv2.weight" };

        var e = Assert.Throws<ArgumentException>(() => GradientStatsMerge.Merge(StepA, other));

        Assert.Contains("layer1.0.conv2.weight", e.Message);
    }

    [Fact]
    public void Histograms_of_different_layouts_cannot_be_merged()
    {
        var other = StepB with { Histogram = [0, 1, 1, 0, 0] };

        var e = Assert.Throws<ArgumentException>(() => GradientStatsMerge.Merge(StepA, other));

        Assert.Contains("4 and 5 slots", e.Message);
    }
}
