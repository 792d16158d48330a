using ClusterTrain.GpuNode.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Tests.Data;

public class TrainBatchesTests : IDisposable
{
    private readonly TensorDataset _data = SyntheticImages.Generate(100, 10, seed: 11);
    private readonly Normalization _normalization = new([0.5f, 0.4f, 0.3f], [0.2f, 0.25f, 0.3f]);

    private TrainBatches Batches(bool augment, int seed = 3, int batchSize = 16) =>
        new(_data, batchSize, seed, _normalization, augment);

    public void Dispose() => _data.Dispose();

    [Fact]
    public void The_same_seed_gives_bitwise_the_same_augmented_batches()
    {
        using var first = Batches(augment: true);
        using var second = Batches(augment: true);
        using var scope = NewDisposeScope();

        foreach (var (epoch, batch) in new[] { (0, 0), (0, 5), (3, 2) })
        {
            var (x1, y1) = first.Batch(epoch, batch);
            var (x2, y2) = second.Batch(epoch, batch);
            Assert.True(TensorAssert.Same(x1, x2) && TensorAssert.Same(y1, y2), $"epoch {epoch} batch {batch}");
        }
    }

    [Fact]
    public void Each_epoch_visits_every_sample_in_its_own_order()
    {
        using var batches = Batches(augment: false);
        using var otherSeed = Batches(augment: false, seed: 4);

        var orders = Enumerable.Range(0, 3).Select(batches.EpochOrder).ToList();

        Assert.All(orders, o => Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), o.Order()));
        Assert.NotEqual(orders[0], orders[1]);
        Assert.NotEqual(orders[1], orders[2]);
        Assert.NotEqual(orders[0], otherSeed.EpochOrder(0));
        Assert.Equal(orders[1], batches.EpochOrder(1));
    }

    [Fact]
    public void The_last_partial_batch_is_dropped_in_training()
    {
        using var batches = Batches(augment: false, batchSize: 32);
        using var scope = NewDisposeScope();

        var labels = batches.Epoch(0).Select(b => b.Y.clone()).ToList();

        Assert.Equal(3, batches.StepsPerEpoch);
        Assert.Equal(3, labels.Count);
        Assert.All(labels, y => Assert.Equal([32L], y.shape));
        Assert.Throws<ArgumentOutOfRangeException>(() => batches.Batch(0, 3));
    }

    [Fact]
    public void Resuming_at_a_batch_gives_what_continuing_would_have()
    {
        using var batches = Batches(augment: true);
        using var resumed = Batches(augment: true);
        using var scope = NewDisposeScope();

        var continuing = batches.Epoch(2).Skip(4).Select(b => (b.X.clone(), b.Y.clone())).ToList();
        var restarted = resumed.Epoch(2, startBatch: 4).Select(b => (b.X.clone(), b.Y.clone())).ToList();

        Assert.Equal(batches.StepsPerEpoch - 4, restarted.Count);
        Assert.All(continuing.Zip(restarted), pair =>
            Assert.True(TensorAssert.Same(pair.First.Item1, pair.Second.Item1) && TensorAssert.Same(pair.First.Item2, pair.Second.Item2)));
    }

    [Fact]
    public void Unaugmented_batches_are_the_indexed_samples_normalised()
    {
        using var batches = Batches(augment: false);
        using var scope = NewDisposeScope();

        var (x, y) = batches.Batch(1, 2);

        using var index = tensor(batches.BatchIndices(1, 2));
        var expected = _data.Images.index_select(0, index).to(ScalarType.Float32).div(255)
            .sub(tensor(_normalization.Mean).view(1, 3, 1, 1)).div(tensor(_normalization.Std).view(1, 3, 1, 1));
        Assert.Equal(ScalarType.Float32, x.dtype);
        Assert.True(x.allclose(expected, rtol: 1e-6, atol: 1e-6));
        Assert.True(TensorAssert.Same(y, _data.Labels.index_select(0, index)));
    }

    [Fact]
    public void Augmentation_changes_pixels_but_keeps_shapes_and_labels()
    {
        using var plain = Batches(augment: false);
        using var augmented = Batches(augment: true);
        using var scope = NewDisposeScope();

        var (x, y) = plain.Batch(0, 1);
        var (xa, ya) = augmented.Batch(0, 1);

        Assert.Equal(x.shape, xa.shape);
        Assert.True(TensorAssert.Same(y, ya));
        Assert.False(TensorAssert.Same(x, xa));
    }

    [Fact]
    public void Augmented_samples_are_exactly_padded_crops_flipped_when_drawn()
    {
        using var plain = Batches(augment: false, batchSize: 48);
        using var augmented = Batches(augment: true, batchSize: 48);
        using var scope = NewDisposeScope();
        const int epoch = 1, batch = 1;

        var (x, _) = plain.Batch(epoch, batch);
        var (xa, _) = augmented.Batch(epoch, batch);
        var (top, left, flip) = augmented.AugmentationDraw(epoch, batch);

        // Raw pixels are padded with 0, which normalises to -mean/std.
        var zero = tensor(_normalization.Mean).neg().div(tensor(_normalization.Std)).view(1, 3, 1, 1);
        var padded = zero.expand(48, 3, 40, 40).clone();
        padded.narrow(2, 4, 32).narrow(3, 4, 32).copy_(x);
        for (var i = 0; i < 48; i++)
        {
            var crop = padded[i, .., (int)top[i]..(int)(top[i] + 32), (int)left[i]..(int)(left[i] + 32)];
            var expected = flip[i] ? crop.flip(2) : crop;
            Assert.True(TensorAssert.Same(xa[i], expected), $"sample {i}: top {top[i]}, left {left[i]}, flip {flip[i]}");
        }
        // The draw really varies: both flip states and shifts in both directions occur.
        Assert.Contains(true, flip);
        Assert.Contains(false, flip);
        Assert.True(top.Distinct().Count() > 3 && left.Distinct().Count() > 3);
        Assert.True(top.Min() < 4 && top.Max() > 4 && left.Min() < 4 && left.Max() > 4);
    }

    [Fact]
    public void An_unshifted_flipped_sample_is_the_mirror_image_of_the_original()
    {
        using var plain = Batches(augment: false, batchSize: 100);
        using var augmented = Batches(augment: true, batchSize: 100);
        using var scope = NewDisposeScope();

        // Find a batch with an unshifted flip among the first epochs; 100 samples make one likely (p≈1-(1-1/162)^100 per batch).
        var found = Enumerable.Range(0, 20).SelectMany(e =>
        {
            var (top, left, flip) = augmented.AugmentationDraw(e, 0);
            return Enumerable.Range(0, 100).Where(i => flip[i] && top[i] == 4 && left[i] == 4).Select(i => (Epoch: e, Sample: i));
        }).First();

        var (x, _) = plain.Batch(found.Epoch, 0);
        var (xa, _) = augmented.Batch(found.Epoch, 0);

        Assert.True(TensorAssert.Same(xa[found.Sample], x[found.Sample].flip(2)));
        Assert.False(TensorAssert.Same(xa[found.Sample], x[found.Sample]));
    }

    [Fact]
    public void Batches_made_inside_a_dispose_scope_die_with_it()
    {
        using var batches = Batches(augment: true, batchSize: 8);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (var step = 0; step < 200; step++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = batches.Batch(step / batches.StepsPerEpoch, step % batches.StepsPerEpoch);
            _ = x.sum().add(y.sum()).ToSingle();
        }
        foreach (var (x, _) in batches.Epoch(0))
        {
            using var scope = NewDisposeScope();
            _ = x.mean().ToSingle();
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Evaluation_visits_every_sample_once_in_order_keeping_the_last_partial_batch()
    {
        using var scope = NewDisposeScope();

        var batches = EvalBatches.Enumerate(_data, 32, _normalization).Select(b => (b.X.clone(), b.Y.clone())).ToList();

        Assert.Equal([32L, 32, 32, 4], batches.Select(b => b.Item2.shape[0]));
        Assert.Equal(4, EvalBatches.Count(_data, 32));
        Assert.True(TensorAssert.Same(cat(batches.Select(b => b.Item2).ToList(), 0), _data.Labels));
        var expected = _data.Images.to(ScalarType.Float32).div(255)
            .sub(tensor(_normalization.Mean).view(1, 3, 1, 1)).div(tensor(_normalization.Std).view(1, 3, 1, 1));
        Assert.True(cat(batches.Select(b => b.Item1).ToList(), 0).allclose(expected, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void Evaluation_batches_are_freed_as_the_enumeration_moves_on()
    {
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        foreach (var (x, y) in EvalBatches.Enumerate(_data, 7, _normalization))
        {
            using var scope = NewDisposeScope();
            _ = x.sum().ToSingle();
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void A_training_set_smaller_than_one_batch_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Batches(augment: false, batchSize: 101));

        Assert.Contains("100 samples", error.Message);
    }

    [Fact]
    public void A_normalisation_that_does_not_fit_the_channels_is_rejected()
    {
        Assert.Contains("1 means", Assert.Throws<ArgumentException>(() =>
            new TrainBatches(_data, 10, 0, new Normalization([0.5f], [0.2f]), false)).Message);
        Assert.Contains("positive", Assert.Throws<ArgumentException>(() =>
            new TrainBatches(_data, 10, 0, new Normalization([0, 0, 0], [1, 0, 1]), false)).Message);
    }
}
