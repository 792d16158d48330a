namespace ClusterTrain.Deploy.Tests;

/// <summary>Paths in the repository under test, found from the test's output folder upwards.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "ClusterTrain.sln")))
                return folder.FullName;
        throw new InvalidOperationException($"no ClusterTrain.sln above {AppContext.BaseDirectory}");
    }
}
