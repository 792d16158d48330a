using TorchSharp;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Data;

/// <summary>
/// Training batches that are a pure function of (seed, epoch, batch index), so a run resumed at any batch
/// sees bitwise the same inputs as one that never stopped, on the same device.
/// </summary>
/// <remarks>
/// <para>Order: epoch e visits the samples in a Fisher-Yates permutation drawn from SplitMix64 seeded with
/// (seed, e); every epoch has its own order (TorchSharp's DataLoader reuses one). The last partial batch
/// is dropped, so every step sees exactly <see cref="BatchSize"/> samples (batch statistics and gradient
/// scales stay comparable across steps) and <see cref="StepsPerEpoch"/> = ⌊N / BatchSize⌋.</para>
/// <para>Augmentation (when on): the He et al. CIFAR recipe, pad 4 then a random crop of the original
/// size (offsets 0..8 in each direction) and a horizontal flip with probability 1/2, drawn from (seed, epoch, batch).
/// Padding is with raw pixel 0 before normalisation, as torchvision's RandomCrop(padding=4) does ahead
/// of Normalize. The crop and flip are two gathers with per-sample index rows on the whole batch.</para>
/// <para>Tensors: on a non-CPU device the whole uint8 dataset is copied there once, so a step only moves
/// B indices. <see cref="Batch"/> returns ordinary tensors registered in the caller's current dispose
/// scope (wrap each step in <c>torch.NewDisposeScope()</c>); <see cref="Epoch"/> owns what it yields and
/// disposes each batch when the enumeration moves on or stops, so clone anything kept past the step.
/// With no dispose scope open, the caller disposes what <see cref="Batch"/> returns. The dataset is
/// borrowed, not owned: keep it alive while batching. One instance serves one thread at a time (it
/// caches the current epoch's order).</para>
/// </remarks>
public sealed class TrainBatches : IDisposable
{
    public const int Padding = 4;
    private const long OrderStream = 0x4F52444552;     // distinct streams for order and augmentation
    private const long AugmentStream = 0x4155474D;

    private readonly TensorDataset _data;
    private readonly Device _device;
    private readonly Tensor _images;
    private readonly Tensor _labels;
    private readonly Tensor _mean;
    private readonly Tensor _std;
    private readonly bool _ownsDeviceCopy;
    private (int Epoch, long[] Order)? _cachedOrder;

    public TrainBatches(TensorDataset data, int batchSize, int seed, Normalization normalization, bool augment, Device? device = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        if (data.Count < batchSize)
            throw new ArgumentException($"The training set has {data.Count} samples, fewer than one batch of {batchSize}.", nameof(batchSize));
        normalization.Validate(data.Channels);
        _data = data;
        BatchSize = batchSize;
        Seed = seed;
        Augment = augment;
        _device = device ?? CPU;
        _ownsDeviceCopy = _device.type != DeviceType.CPU;
        _images = _ownsDeviceCopy ? data.Images.to(_device).DetachFromDisposeScope() : data.Images;
        _labels = _ownsDeviceCopy ? data.Labels.to(_device).DetachFromDisposeScope() : data.Labels;
        _mean = tensor(normalization.Mean, [1, data.Channels, 1, 1], device: _device).DetachFromDisposeScope();
        _std = tensor(normalization.Std, [1, data.Channels, 1, 1], device: _device).DetachFromDisposeScope();
    }

    public int BatchSize { get; }
    public int Seed { get; }
    public bool Augment { get; }
    public int StepsPerEpoch => _data.Count / BatchSize;

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the samples (a permutation of 0..N-1).</summary>
    public long[] EpochOrder(int epoch) => (long[])Order(epoch).Clone();

    private long[] Order(int epoch)
    {
        if (_cachedOrder is { } cached && cached.Epoch == epoch) return cached.Order;
        var order = new DeterministicRandom(DeterministicRandom.Mix(Seed, OrderStream, epoch)).Permutation(_data.Count);
        _cachedOrder = (epoch, order);
        return order;
    }

    /// <summary>Sample indices of one batch, the same every time for the same (seed, epoch, batch).</summary>
    public long[] BatchIndices(int epoch, int batchIndex)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "must not be negative");
        if (batchIndex < 0 || batchIndex >= StepsPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(batchIndex), batchIndex, $"an epoch has batches 0..{StepsPerEpoch - 1}");
        return Order(epoch).AsSpan(batchIndex * BatchSize, BatchSize).ToArray();
    }

    /// <summary>Crop offsets (0..2·Padding, rows then columns) and flips of one batch's samples.</summary>
    public (long[] Top, long[] Left, bool[] Flip) AugmentationDraw(int epoch, int batchIndex)
    {
        var random = new DeterministicRandom(DeterministicRandom.Mix(Seed, AugmentStream, epoch, batchIndex));
        var (top, left, flip) = (new long[BatchSize], new long[BatchSize], new bool[BatchSize]);
        for (var i = 0; i < BatchSize; i++)
        {
            top[i] = random.NextInt(2 * Padding + 1);
            left[i] = random.NextInt(2 * Padding + 1);
            flip[i] = random.NextInt(2) == 1;
        }
        return (top, left, flip);
    }

    /// <summary>
    /// Batch <paramref name="batchIndex"/> of epoch <paramref name="epoch"/>: X float32 [B, C, H, W]
    /// normalised (and augmented when on), Y int64 [B], both on the device.
    /// </summary>
    public (Tensor X, Tensor Y) Batch(int epoch, int batchIndex)
    {
        var indices = BatchIndices(epoch, batchIndex);
        using var scope = NewDisposeScope();
        var index = tensor(indices, ScalarType.Int64, _device);
        var pixels = _images.index_select(0, index);
        if (Augment) pixels = Augmented(pixels, AugmentationDraw(epoch, batchIndex));
        var x = pixels.to(ScalarType.Float32).div_(255).sub_(_mean).div_(_std);
        var y = _labels.index_select(0, index);
        return scope.MoveToOuter(x, y);
    }

    /// <summary>Batches startBatch..StepsPerEpoch-1 of an epoch; each is disposed when the enumeration moves on.</summary>
    public IEnumerable<(Tensor X, Tensor Y)> Epoch(int epoch, int startBatch = 0)
    {
        if (startBatch < 0 || startBatch > StepsPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, $"an epoch has batches 0..{StepsPerEpoch - 1}");
        return Enumerate();

        IEnumerable<(Tensor X, Tensor Y)> Enumerate()
        {
            for (var b = startBatch; b < StepsPerEpoch; b++)
            {
                var (x, y) = Batch(epoch, b);
                x.DetachFromDisposeScope();
                y.DetachFromDisposeScope();
                try { yield return (x, y); }
                finally { x.Dispose(); y.Dispose(); }
            }
        }
    }

    private Tensor Augmented(Tensor pixels, (long[] Top, long[] Left, bool[] Flip) draw)
    {
        var (b, c, h, w) = (pixels.shape[0], pixels.shape[1], pixels.shape[2], pixels.shape[3]);
        var padded = nn.functional.pad(pixels, [Padding, Padding, Padding, Padding]);
        var top = tensor(draw.Top, ScalarType.Int64, _device).unsqueeze(1);
        var left = tensor(draw.Left, ScalarType.Int64, _device).unsqueeze(1);
        var flip = tensor(draw.Flip, ScalarType.Bool, _device).unsqueeze(1);
        var rows = top.add(arange(h, ScalarType.Int64, _device));
        var forward = arange(w, ScalarType.Int64, _device);
        // A flipped crop reads the window's columns right to left: column j takes left + (w-1-j).
        var columns = left.add(where(flip, forward.flip(0), forward));
        var cropRows = padded.gather(2, rows.view(b, 1, h, 1).expand(b, c, h, w + 2 * Padding));
        return cropRows.gather(3, columns.view(b, 1, 1, w).expand(b, c, h, w));
    }

    public void Dispose()
    {
        if (_ownsDeviceCopy)
        {
            _images.Dispose();
            _labels.Dispose();
        }
        _mean.Dispose();
        _std.Dispose();
    }
}
