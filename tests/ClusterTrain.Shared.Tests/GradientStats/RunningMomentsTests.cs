using ClusterTrain.Shared.GradientStats;

namespace ClusterTrain.Shared.Tests.GradientStats;

public class RunningMomentsTests
{
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32.
    private static readonly double[] Textbook = [2, 4, 4, 4, 5, 5, 7, 9];

    [Fact]
    public void Pushed_values_give_the_hand_computed_moments()
    {
        var m = RunningMoments.Of(Textbook);

        Assert.Equal(8, m.Count);
        Assert.Equal(5, m.Mean, 15);
        Assert.Equal(32, m.M2, 12);
        Assert.Equal(4, m.PopulationVariance, 12);
        Assert.Equal(32.0 / 7, m.SampleVariance, 12);
        Assert.Equal(2, m.Std, 12);
        Assert.Equal(Math.Sqrt(32.0 / 7), m.SampleStd, 12);
    }

    [Fact]
    public void Merging_two_halves_gives_the_moments_of_the_whole()
    {
        // [2,4,4,4]: mean 3.5, M2 3; [5,5,7,9]: mean 6.5, M2 11; Chan: 3 + 11 + 3² * 4 * 4 / 8 = 32.
        var left = RunningMoments.Of(Textbook[..4]);
        var right = RunningMoments.Of(Textbook[4..]);

        left.Merge(right);

        Assert.Equal(8, left.Count);
        Assert.Equal(5, left.Mean);
        Assert.Equal(32, left.M2);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(500)]
    [InlineData(999)]
    public void Merging_any_split_matches_a_single_pass(int splitAt)
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 1000).Select(_ => 1e3 + random.NextDouble() * 1e-2).ToArray();
        var single = RunningMoments.Of(values);

        var merged = RunningMoments.Of(values[..splitAt]);
        merged.Merge(RunningMoments.Of(values[splitAt..]));

        Assert.Equal(single.Count, merged.Count);
        Assert.Equal(single.Mean, merged.Mean, 1e-12);
        Assert.Equal(1, merged.M2 / single.M2, 1e-9);
    }

    [Fact]
    public void Non_finite_values_are_counted_and_never_poison_the_mean()
    {
        var m = RunningMoments.Of([1, double.NaN, 3, double.PositiveInfinity, double.NegativeInfinity]);

        Assert.Equal(2, m.Count);
        Assert.Equal(3, m.NonFinite);
        Assert.Equal(2, m.Mean);
        Assert.Equal(1, m.PopulationVariance);
    }

    [Fact]
    public void Non_finite_counts_add_up_on_merge()
    {
        var a = RunningMoments.Of([double.NaN, 1]);
        var b = RunningMoments.Of([double.NaN, double.NaN]);

        a.Merge(b);

        Assert.Equal(3, a.NonFinite);
        Assert.Equal(1, a.Count);
        Assert.Equal(1, a.Mean);
    }

    [Fact]
    public void Empty_moments_have_no_mean_or_variance()
    {
        var empty = new RunningMoments();
        var one = RunningMoments.Of([4]);

        Assert.True(double.IsNaN(empty.Mean));
        Assert.True(double.IsNaN(empty.PopulationVariance));
        Assert.Equal(0, one.PopulationVariance);
        Assert.True(double.IsNaN(one.SampleVariance));
    }

    [Fact]
    public void Merging_with_empty_moments_changes_nothing_either_way()
    {
        var filled = RunningMoments.Of([1, 2, 6]);
        var intoEmpty = new RunningMoments();

        intoEmpty.Merge(filled);
        filled.Merge(new RunningMoments());

        Assert.Equal((3L, 3.0, 14.0), (filled.Count, filled.Mean, filled.M2));
        Assert.Equal((3L, 3.0, 14.0), (intoEmpty.Count, intoEmpty.Mean, intoEmpty.M2));
    }

    [Fact]
    public void A_summary_rebuilds_M2_from_the_population_variance()
    {
        // [1, -1, 3]: mean 1, variance 8/3.
        var m = RunningMoments.FromSummary(3, 1, 8.0 / 3, nonFinite: 2);

        Assert.Equal(8, m.M2, 12);
        Assert.Equal(2, m.NonFinite);
        Assert.Throws<ArgumentOutOfRangeException>(() => RunningMoments.FromSummary(-1, 0, 0));
    }
}
