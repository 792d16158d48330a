using ClusterTrain.Shared.Training;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Data;

/// <summary>
/// The data of one trial: train, optional validation and test sets, and the normalisation computed from
/// the training split. Owns the three datasets.
/// </summary>
public sealed class DataSplits : IDisposable
{
    /// <summary>Seeds of the synthetic sets: fixed, so that every trial (any seed, plain or residual) sees the same data.</summary>
    public const int SyntheticTrainSeed = 20160610;
    public const int SyntheticTestSeed = 20160611;
    private const long ValidationStream = 0x56414C;

    private DataSplits(DatasetSpec spec, TensorDataset train, TensorDataset? validation, TensorDataset test)
    {
        Spec = spec;
        Train = train;
        Validation = validation;
        Test = test;
        (Mean, Std) = train.ChannelStatistics();
        // A constant channel has no spread to divide by; leave it unscaled rather than make infinities.
        var safeStd = Std.Select(s => s > 1e-6f ? s : 1f).ToArray();
        Normalization = spec.Normalize ? new Normalization(Mean, safeStd) : Normalization.Identity(train.Channels);
    }

    public DatasetSpec Spec { get; }
    public TensorDataset Train { get; }
    public TensorDataset? Validation { get; }
    public TensorDataset Test { get; }

    /// <summary>Per-channel mean of the training split's pixels scaled to [0, 1].</summary>
    public float[] Mean { get; }

    /// <summary>Per-channel population standard deviation of the training split's pixels scaled to [0, 1].</summary>
    public float[] Std { get; }

    /// <summary>What batches apply: (Mean, Std) when Spec.Normalize, else only the scaling to [0, 1].</summary>
    public Normalization Normalization { get; }

    public int Channels => Train.Channels;
    public int Height => Train.Height;
    public int Width => Train.Width;
    public int Classes => Train.Classes;
    public IReadOnlyList<string> ClassNames => Train.ClassNames;

    /// <summary>
    /// Loads (downloading first when Spec.Download and files are missing) and splits a dataset.
    /// Validation: ⌊ValidationFraction·N⌋ training samples chosen by a permutation seeded with
    /// <paramref name="seed"/> are held out; the rest keep their file order. TrainLimit then keeps the
    /// first N of the remaining training samples and TestLimit the first N test samples.
    /// </summary>
    public static DataSplits Load(DatasetSpec spec, int seed, DatasetDownloader? downloader = null)
    {
        Check(spec);
        var (train, test) = LoadRaw(spec, downloader);
        var made = new List<TensorDataset> { train, test };
        try
        {
            TensorDataset? validation = null;
            var kept = train;
            if (spec.ValidationFraction > 0)
            {
                var held = (int)Math.Floor(spec.ValidationFraction * train.Count);
                if (held == 0 || held == train.Count)
                    throw new ArgumentException(
                        $"ValidationFraction {spec.ValidationFraction} of {train.Count} training samples holds out {held}; it must leave at least one on each side.");
                var order = new DeterministicRandom(DeterministicRandom.Mix(seed, ValidationStream)).Permutation(train.Count);
                made.Add(validation = train.Select(order[..held].Order().ToArray()));
                made.Add(kept = train.Select(order[held..].Order().ToArray()));
            }
            if (spec.TrainLimit is { } trainLimit && trainLimit < kept.Count) made.Add(kept = kept.Take(trainLimit));
            var keptTest = test;
            if (spec.TestLimit is { } testLimit && testLimit < test.Count) made.Add(keptTest = test.Take(testLimit));

            var splits = new DataSplits(spec, kept, validation, keptTest);
            foreach (var dataset in made.Where(d => d != kept && d != validation && d != keptTest)) dataset.Dispose();
            return splits;
        }
        catch
        {
            foreach (var dataset in made) dataset.Dispose();
            throw;
        }
    }

    public TrainBatches TrainBatches(int batchSize, int seed, Device? device = null) =>
        new(Train, batchSize, seed, Normalization, Spec.Augment, device);

    public IEnumerable<(Tensor X, Tensor Y)> EvalBatches(TensorDataset split, int batchSize, Device? device = null) =>
        Data.EvalBatches.Enumerate(split, batchSize, Normalization, device);

    public void Dispose()
    {
        Train.Dispose();
        Validation?.Dispose();
        Test.Dispose();
    }

    private static void Check(DatasetSpec spec)
    {
        if (spec.Kind != DatasetKind.Synthetic && string.IsNullOrWhiteSpace(spec.Path))
            throw new ArgumentException($"Dataset kind {spec.Kind} needs a Path.");
        if (spec.Download && spec.Kind == DatasetKind.ImageFolder)
            throw new ArgumentException("Download is available for Cifar10 and Mnist, not for an ImageFolder.");
        if (spec.TrainLimit is <= 0) throw new ArgumentException($"TrainLimit must be positive, got {spec.TrainLimit}.");
        if (spec.TestLimit is <= 0) throw new ArgumentException($"TestLimit must be positive, got {spec.TestLimit}.");
        if (!(spec.ValidationFraction is >= 0 and < 1))
            throw new ArgumentException($"ValidationFraction must be in [0, 1), got {spec.ValidationFraction}.");
        if (spec.Kind == DatasetKind.Synthetic && (spec.SyntheticTrainSize <= 0 || spec.SyntheticTestSize <= 0))
            throw new ArgumentException($"Synthetic sizes must be positive, got train {spec.SyntheticTrainSize}, test {spec.SyntheticTestSize}.");
    }

    private static (TensorDataset Train, TensorDataset Test) LoadRaw(DatasetSpec spec, DatasetDownloader? downloader)
    {
        switch (spec.Kind)
        {
            case DatasetKind.Synthetic:
                return Both(() => SyntheticImages.Generate(spec.SyntheticTrainSize, spec.SyntheticClasses, SyntheticTrainSeed),
                    () => SyntheticImages.Generate(spec.SyntheticTestSize, spec.SyntheticClasses, SyntheticTestSeed));
            case DatasetKind.Cifar10:
                if (spec.Download) (downloader ?? new DatasetDownloader()).EnsureAsync(DownloadManifest.Cifar10(), spec.Path!).GetAwaiter().GetResult();
                return Both(() => Cifar10Binary.LoadTrain(spec.Path!), () => Cifar10Binary.LoadTest(spec.Path!));
            case DatasetKind.Mnist:
                if (spec.Download) (downloader ?? new DatasetDownloader()).EnsureAsync(DownloadManifest.Mnist(), spec.Path!).GetAwaiter().GetResult();
                return Both(() => MnistIdx.LoadTrain(spec.Path!), () => MnistIdx.LoadTest(spec.Path!));
            case DatasetKind.ImageFolder:
                return ImageFolder.Load(spec.Path!);
            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "Unknown dataset kind.");
        }
    }

    private static (TensorDataset, TensorDataset) Both(Func<TensorDataset> loadTrain, Func<TensorDataset> loadTest)
    {
        var train = loadTrain();
        try { return (train, loadTest()); }
        catch { train.Dispose(); throw; }
    }
}
