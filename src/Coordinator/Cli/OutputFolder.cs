namespace ClusterTrain.Coordinator.Cli;

/// <summary>The folder a command writes to, made before any work starts so that a bad path costs nothing.</summary>
internal static class OutputFolder
{
    /// <summary>Creates the folder (and its parents); null when it can be used, else what is wrong with it.</summary>
    public static string? Create(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot use {path} as the output folder: {e.Message}";
        }
    }
}
