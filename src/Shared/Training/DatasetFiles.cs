namespace ClusterTrain.Shared.Training;

/// <summary>The files a dataset folder must hold, known before anything trains so that a spec can be checked up front.</summary>
public static class DatasetFiles
{
    /// <summary>The training batches of the CIFAR-10 binary distribution; any non-empty subset of them trains.</summary>
    public static IReadOnlyList<string> Cifar10Train { get; } = [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")];

    /// <summary>One CIFAR-10 binary record: a label byte, then 32x32 pixels in three colour planes.</summary>
    public const int Cifar10RecordBytes = 1 + 3 * 32 * 32;

    /// <summary>A batch file that holds whole records, at least one: what a truncated or empty download is not.</summary>
    public static bool IsCifar10Batch(string path) =>
        File.Exists(path) && new FileInfo(path).Length is var bytes && bytes > 0 && bytes % Cifar10RecordBytes == 0;
}
