using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Sweeps;

/// <summary>
/// A sweep described in YAML:
/// <code>
/// name: quickstart
/// data: { kind: synthetic }            # or dataset:; trial keys under data
/// fixed: { model.family: cifar-resnet, optimizer: { lr: 0.05 } }   # dotted keys or sections
/// grid: { model.depth: [20, 32], model.shortcuts: [false, true] }  # every combination
/// seeds: [0, 1]                        # or repeats: 2 (seeds 0, 1); neither: seed 0
/// stats: { every: 10, histogram_bins: 32 }
/// resources: { gpus_per_trial: 1, cpu_threads_per_trial: 1 }
/// retries: { max_attempts: 3 }
/// concurrency: 0                       # no limit
/// checkpoint_every: 50
/// </code>
/// Reading reports all problems at once, in file order, each as "file:line: yaml.path: what is wrong";
/// every trial the grid expands to is checked with <see cref="TrialRules"/>.
/// </summary>
public static class SweepFile
{
    /// <exception cref="ConfigException">The file cannot be read, or describes no valid sweep.</exception>
    public static SweepSpec Load(string path, SweepLimits? limits = null)
    {
        string yaml;
        try { yaml = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([new Problem("", $"cannot read the sweep spec: {e.Message}", Source: path)]);
        }
        return Parse(yaml, path, Path.GetDirectoryName(Path.GetFullPath(path)), limits);
    }

    /// <param name="sourceName">Named in every problem.</param>
    /// <param name="baseDirectory">Relative dataset paths resolve against it; by default the folder of <paramref name="sourceName"/>.</param>
    /// <exception cref="ConfigException">The YAML describes no valid sweep.</exception>
    public static SweepSpec Parse(string yaml, string sourceName, string? baseDirectory = null, SweepLimits? limits = null)
    {
        var problems = new ProblemList(sourceName);
        var root = TrialFile.ReadRoot(yaml, problems, "a sweep spec");
        problems.ThrowIfAny();
        var reader = new SweepReader(sourceName, baseDirectory ?? Path.GetDirectoryName(Path.GetFullPath(sourceName))!);
        return reader.Read(root, limits ?? SweepLimits.Default);
    }
}
