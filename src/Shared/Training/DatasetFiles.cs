namespace ClusterTrain.Shared.Training;

/// <summary>The files a dataset folder must hold, known before anything trains so that a spec can be checked up front.</summary>
public static class DatasetFiles
{
    /// <summary>The training batches of the CIFAR-10 binary distribution; any non-empty subset of them trains.</summary>
    public static IReadOnlyList<string> Cifar10Train { get; } = [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")];
}
