namespace ClusterTrain.Coordinator.Cli;

/// <summary>Exit codes shared by every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The work ran, but some trial failed or diverged.</summary>
    public const int TrialsFailed = 1;
    /// <summary>Bad input: options, spec or trial file, data files. Nothing was started or changed.</summary>
    public const int BadInput = 2;
    /// <summary>The coordinator cannot be reached.</summary>
    public const int Unreachable = 3;
    /// <summary>Stopped by Ctrl-C after saving a checkpoint; the same command resumes.</summary>
    public const int Interrupted = 130;
}
