namespace ClusterTrain.Tests.Common;

/// <summary>
/// Locates the real datasets in ../shared/data beside the repository (or CLUSTERTRAIN_SHARED_DATA).
/// Tests that need them skip with a reason on a machine without them, but fail under CI, where the
/// folder is always laid out, so a broken path can never pass silently.
/// </summary>
public static class SharedData
{
    public static string? Root { get; } = Locate();

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Require(string relative)
    {
        if (Root is null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
                throw new InvalidOperationException("../shared/data is missing, but CI always provides it.");
            Skip.If(true, "../shared/data is not present on this machine (set CLUSTERTRAIN_SHARED_DATA).");
        }
        var path = Path.Combine(Root!, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new InvalidOperationException($"{path} is missing from the shared data folder.");
        return path;
    }

    private static string? Locate()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("CLUSTERTRAIN_SHARED_DATA");
        if (!string.IsNullOrEmpty(fromEnvironment)) return Directory.Exists(fromEnvironment) ? fromEnvironment : null;
        var candidate = Path.GetFullPath(Path.Combine(FindRepositoryRoot(), "..", "shared", "data"));
        return Directory.Exists(candidate) ? candidate : null;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ClusterTrain.sln"))) return dir.FullName;
        throw new InvalidOperationException($"ClusterTrain.sln not found above {AppContext.BaseDirectory}.");
    }
}
