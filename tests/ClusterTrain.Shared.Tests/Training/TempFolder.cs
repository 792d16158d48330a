namespace ClusterTrain.Shared.Tests.Training;

/// <summary>A fresh folder for a test's files, deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("clustertrain-tests-").FullName;

    public string Folder(string relative) => Directory.CreateDirectory(System.IO.Path.Combine(Path, relative)).FullName;

    public string File(string relative, string text)
    {
        var path = System.IO.Path.Combine(Path, relative);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
