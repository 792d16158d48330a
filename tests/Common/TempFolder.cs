namespace ClusterTrain.Tests.Common;

/// <summary>A fresh folder for a test's files (data, journal, checkpoints), deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("clustertrain-tests-").FullName;

    public string Folder(string relative) => Directory.CreateDirectory(System.IO.Path.Combine(Path, relative)).FullName;

    /// <summary>A folder that passes a spec's CIFAR-10 check: its training batch holds one blank record.</summary>
    public string Cifar10Folder(string relative)
    {
        var folder = Folder(relative);
        System.IO.File.WriteAllBytes(System.IO.Path.Combine(folder, "data_batch_1.bin"), new byte[1 + 3 * 32 * 32]);
        return folder;
    }

    /// <summary>The full path of <paramref name="relative"/>, its parent folders created.</summary>
    public string File(string relative)
    {
        var path = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return path;
    }

    public string File(string relative, string text)
    {
        var path = File(relative);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public string[] Entries() => Directory.GetFileSystemEntries(Path, "*", SearchOption.AllDirectories);

    public void Dispose()
    {
        // SQLite's connection pool may still hold a journal file open for a moment.
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
