using ClusterTrain.Shared.GradientStats;
using static ClusterTrain.Shared.Tests.GradientStats.Snapshots;

namespace ClusterTrain.Shared.Tests.GradientStats;

public class SeedAggregateTests
{
    [Fact]
    public void Snapshots_from_seeds_in_any_order_give_the_spread_of_each_layer_at_each_step()
    {
        var aggregate = new SeedAggregate();

        aggregate.Add(2, WithNorms(10, 3, 30));
        aggregate.Add(0, WithNorms(0, 5, 50));
        aggregate.Add(1, WithNorms(10, 2, 20));
        aggregate.Add(0, WithNorms(10, 1, 10));

        // Layer 0 at step 10 over seeds 0, 1, 2: norms 1, 2, 3 -> mean 2, sample std 1.
        Assert.Equal(new SeedSpread(10, 0, "features.0.weight", 3, 0, 2, 1, 1, 3), aggregate.Get(10, 0));
        Assert.Equal(new SeedSpread(10, 1, "features.1.weight", 3, 0, 20, 10, 10, 30), aggregate.Get(10, 1));
        Assert.Equal([0, 1, 2], aggregate.Seeds);
    }

    [Fact]
    public void A_single_seed_has_a_mean_but_no_spread()
    {
        var aggregate = new SeedAggregate();

        aggregate.Add(0, WithNorms(0, 5));

        var spread = aggregate.Get(0, 0)!;
        Assert.Equal((1L, 5.0, 5.0, 5.0), (spread.Seeds, spread.Mean, spread.Min, spread.Max));
        Assert.True(double.IsNaN(spread.Std));
    }

    [Fact]
    public void A_diverged_seed_is_counted_apart_and_left_out_of_the_spread()
    {
        var aggregate = new SeedAggregate();

        aggregate.Add(0, WithNorms(0, 1));
        aggregate.Add(1, WithNorms(0, double.NaN));
        aggregate.Add(2, WithNorms(0, 3));

        var spread = aggregate.Get(0, 0)!;
        Assert.Equal((2L, 1L), (spread.Seeds, spread.NonFiniteSeeds));
        Assert.Equal((2.0, 1.0, 3.0), (spread.Mean, spread.Min, spread.Max));
    }

    [Fact]
    public void Spreads_are_listed_by_step_then_layer()
    {
        var aggregate = new SeedAggregate();
        aggregate.Add(0, WithNorms(20, 1, 2));
        aggregate.Add(0, WithNorms(10, 1, 2));

        var order = aggregate.Spreads().Select(s => (s.Step, s.Index));

        Assert.Equal([(10L, 0), (10L, 1), (20L, 0), (20L, 1)], order);
        Assert.Null(aggregate.Get(30, 0));
    }

    [Fact]
    public void The_same_seed_and_step_cannot_be_added_twice()
    {
        var aggregate = new SeedAggregate();
        aggregate.Add(4, WithNorms(10, 1));

        var e = Assert.Throws<ArgumentException>(() => aggregate.Add(4, WithNorms(10, 1)));

        Assert.Contains("Seed 4", e.Message);
        Assert.Contains("step 10", e.Message);
    }

    [Fact]
    public void Seeds_of_different_architectures_cannot_be_mixed()
    {
        var aggregate = new SeedAggregate();
        aggregate.Add(0, WithNorms(0, 1));
        var renamed = new GradientSnapshot(0, [Layer(0, 1) with { Name = "conv1.weight" }]);

        var e = Assert.Throws<ArgumentException>(() => aggregate.Add(1, renamed));

        Assert.Contains("conv1.weight", e.Message);
        Assert.Equal(1, aggregate.Get(0, 0)!.Seeds);
    }
}
