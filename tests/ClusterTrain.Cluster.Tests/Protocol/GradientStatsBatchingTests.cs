using ClusterTrain.Cluster.Tests.Infrastructure;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;

namespace ClusterTrain.Cluster.Tests.Protocol;

public class GradientStatsBatchingTests
{
    [Fact]
    public void ResNet_152_statistics_travel_in_batches_that_each_fit_a_remoting_frame_with_every_layer_in_order()
    {
        var snapshots = Enumerable.Range(0, 12).Select(i => Stats.Snapshot(step: i * 10L)).ToList();

        var batches = GradientStatsBatching.Cut("sweep", "trial", 1, 1, snapshots);

        Assert.True(batches.Count > 1, $"12 ResNet-152 snapshots should need several batches, got {batches.Count}");
        Assert.All(batches, b => Assert.InRange(ProtocolCodec.Encode(b).Length, 1, GradientStatsBatching.DefaultBatchBytes));
        Assert.All(batches, b => Assert.Equal(ProtocolCodec.Encode(b).Length, GradientStatsBatching.EncodedSize(b)));
        Assert.Equal(Enumerable.Range(1, batches.Count).Select(n => (long)n), batches.Select(b => b.SequenceNr));
        var arrived = batches.SelectMany(b => b.Snapshots)
            .GroupBy(s => s.Step)
            .Select(g => g.First() with { Layers = g.SelectMany(s => s.Layers).ToList() })
            .ToList();
        Assert.Equal(snapshots, arrived);
    }

    [Fact]
    public void A_whole_ResNet_152_snapshot_travels_in_one_batch_without_splitting()
    {
        var snapshot = Stats.Snapshot(step: 1_000);

        var batches = GradientStatsBatching.Cut("sweep", "trial", 1, 1, [snapshot]);

        var only = Assert.Single(batches);
        Assert.Equal(snapshot, Assert.Single(only.Snapshots));
        Assert.InRange(GradientStatsBatching.EncodedSize(only), 20_000, 60_000);
    }

    [Fact]
    public void A_snapshot_larger_than_a_batch_is_split_by_layers_into_parts_of_the_same_step()
    {
        // 156 layers of 2,000 histogram slots: about 0.6 MB, far beyond one frame.
        var huge = Stats.Snapshot(step: 500, histogramSlots: 2_000);

        var batches = GradientStatsBatching.Cut("sweep", "trial", 3, 41, [huge]);

        Assert.True(batches.Count >= 5, $"expected the snapshot split over several batches, got {batches.Count}");
        Assert.All(batches, b => Assert.True(ProtocolCodec.Encode(b).Length <= GradientStatsBatching.DefaultBatchBytes));
        Assert.All(batches.SelectMany(b => b.Snapshots), part => Assert.Equal((500, huge.TrainLoss, huge.TrainError), (part.Step, part.TrainLoss, part.TrainError)));
        Assert.Equal(huge.Layers, batches.SelectMany(b => b.Snapshots).SelectMany(s => s.Layers));
        Assert.Equal(41, batches[0].SequenceNr);
    }

    [Fact]
    public void The_budget_is_honoured_exactly_for_any_size()
    {
        var snapshots = Enumerable.Range(0, 5).Select(i => Stats.Snapshot(step: i, layers: 40)).ToList();

        foreach (var budget in new[] { 2_000, 7_777, 20_000, 50_001 })
        {
            var batches = GradientStatsBatching.Cut("s", "t", 1, 1, snapshots, budget);

            Assert.All(batches, b => Assert.True(ProtocolCodec.Encode(b).Length <= budget, $"a batch of {ProtocolCodec.Encode(b).Length} bytes exceeds {budget}"));
            Assert.Equal(snapshots.SelectMany(s => s.Layers), batches.SelectMany(b => b.Snapshots).SelectMany(s => s.Layers));
        }
    }

    [Fact]
    public void A_layer_too_large_for_any_batch_is_refused_by_name()
    {
        var layer = Stats.Snapshot(step: 3, layers: 1, histogramSlots: 50_000);

        var error = Assert.Throws<ArgumentException>(() => GradientStatsBatching.Cut("s", "t", 1, 1, [layer]));

        Assert.Contains("Layer 0 'layer1.0.conv1.weight' of step 3", error.Message);
        Assert.Contains("histogram of 50000 slots", error.Message);
    }

    [Fact]
    public void No_snapshots_make_no_batches()
    {
        Assert.Empty(GradientStatsBatching.Cut("s", "t", 1, 1, []));
    }
}
