namespace ClusterTrain.Cluster.Tests.Infrastructure;

/// <summary>A fresh folder for a test's files (journal, checkpoints), deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("clustertrain-cluster-tests-").FullName;

    public void Dispose()
    {
        // SQLite's connection pool may still hold the journal file open for a moment on some platforms.
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
