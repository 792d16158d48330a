using ClusterTrain.Shared.GradientStats;
using static ClusterTrain.Shared.Tests.GradientStats.Snapshots;

namespace ClusterTrain.Shared.Tests.GradientStats;

public class GradientProfileTests
{
    [Fact]
    public void Norms_falling_a_decade_per_layer_have_a_log_slope_of_minus_one()
    {
        var snapshot = WithNorms(0, 1e-1, 1e-2, 1e-3);

        Assert.Equal(-1, GradientProfile.LogNormSlope(snapshot), 12);
        Assert.Equal(100, GradientProfile.FirstToLastNormRatio(snapshot), 9);
    }

    [Fact]
    public void The_slope_is_the_least_squares_fit_over_layer_indices()
    {
        // log10 norms 0, 0, 3 at indices 0, 1, 2: mean x 1, mean y 1, Sxy = (-1)(-1) + 0 + (1)(2) = 3, Sxx = 2.
        var snapshot = WithNorms(0, 1, 1, 1000);

        Assert.Equal(1.5, GradientProfile.LogNormSlope(snapshot), 12);
    }

    [Fact]
    public void Layers_with_zero_or_non_finite_norms_are_left_out_of_the_slope()
    {
        // Usable: (0, -1) and (2, -3).
        var snapshot = WithNorms(0, 1e-1, 0, 1e-3, double.NaN, double.PositiveInfinity);

        Assert.Equal(-1, GradientProfile.LogNormSlope(snapshot), 12);
    }

    [Fact]
    public void Fewer_than_two_usable_layers_have_no_slope()
    {
        Assert.True(double.IsNaN(GradientProfile.LogNormSlope(WithNorms(0, 0.5, 0, double.NaN))));
        Assert.True(double.IsNaN(GradientProfile.LogNormSlope(WithNorms(0))));
    }

    [Fact]
    public void First_and_last_layers_are_found_by_index_not_by_position()
    {
        var snapshot = new GradientSnapshot(0, [Layer(2, 0.5), Layer(0, 4), Layer(1, 1)]);

        Assert.Equal(8, GradientProfile.FirstToLastNormRatio(snapshot));
        Assert.Equal(Math.Log10(0.5 / 4) / 2, GradientProfile.LogNormSlope(snapshot), 12);
        Assert.True(double.IsNaN(GradientProfile.FirstToLastNormRatio(WithNorms(0))));
    }
}
