using ClusterTrain.Shared.Training;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Shared.Sweeps;

/// <summary>One swept trial parameter and its values, in file order.</summary>
/// <param name="Key">A <see cref="TrialParameters"/> key, e.g. "model.depth".</param>
/// <param name="Values">Each value as canonical YAML flow text (<see cref="TrialParameters.Format"/>): "20", "0.1", "he", "[0.5, 0.75]".</param>
public sealed record GridAxis(string Key, IReadOnlyList<string> Values);

/// <param name="GpusPerTrial">GPUs one trial occupies on a GPU node.</param>
/// <param name="CpuThreadsPerTrial">Torch threads of one trial on a CPU node; 0 gives it all the threads of its slot.</param>
public sealed record SweepResources(int GpusPerTrial = 1, int CpuThreadsPerTrial = 0);

/// <param name="MaxTrials">Largest number of trials (grid combinations times seeds) a sweep may expand to.</param>
public sealed record SweepLimits(int MaxTrials = 10_000)
{
    public static SweepLimits Default { get; } = new();
}

/// <summary>
/// A hyperparameter sweep: every combination of the grid's values, each run once per seed, on top of a
/// base trial config. Build one with <see cref="SweepFile"/>, which validates every trial it expands to.
/// </summary>
/// <param name="Base">What every trial shares: defaults overridden by the spec's fixed, data, stats and checkpoint_every.</param>
/// <param name="Seeds">Every configuration runs once per seed, in this order.</param>
/// <param name="MaxAttempts">Attempts a trial gets (lost nodes and crashes included) before it fails for good.</param>
/// <param name="Concurrency">Most trials running at once; 0 for no limit but the free slots.</param>
public sealed record SweepSpec(
    string Name,
    TrialConfig Base,
    IReadOnlyList<GridAxis> Grid,
    IReadOnlyList<int> Seeds,
    SweepResources Resources,
    int MaxAttempts = SweepSpec.DefaultMaxAttempts,
    int Concurrency = 0)
{
    public const int DefaultMaxAttempts = 3;

    /// <summary>Steps between a trial's checkpoints (0: only at the end).</summary>
    public int CheckpointEvery => Base.CheckpointEvery;

    /// <summary>Grid combinations: the product of the axes' value counts (1 for an empty grid).</summary>
    public long Combinations => SaturatingProduct(Grid.Select(a => (long)a.Values.Count));

    public long TrialCount => SaturatingProduct([Combinations, Seeds.Count]);

    /// <summary>
    /// Every trial, in a fixed order: the grid keys as nested loops in file order, the first outermost,
    /// and the seeds innermost. Ids depend only on each trial's config, never on this order.
    /// </summary>
    /// <exception cref="InvalidOperationException">A grid value does not fit its key (a spec not made by <see cref="SweepFile"/>).</exception>
    public IReadOnlyList<TrialSpec> Expand()
    {
        var labeler = new TrialLabeler(Grid);
        var trials = new List<TrialSpec>();
        foreach (var (config, choice) in Configurations())
        {
            var values = new Dictionary<string, string>();
            for (var i = 0; i < Grid.Count; i++) values[Grid[i].Key] = Grid[i].Values[choice[i]];
            var configurationKey = TrialIdentity.ConfigurationKey(config);
            var label = labeler.Label(config.Model, values);
            foreach (var seed in Seeds)
            {
                var trial = config with { Seed = seed };
                trials.Add(new TrialSpec(TrialIdentity.TrialId(trial), trials.Count, trial, values, seed, configurationKey, label));
            }
        }
        return trials;
    }

    /// <summary>A trial's config as it runs in <paramref name="slot"/>: on its device, with the sweep's threads on a CPU.</summary>
    public TrialConfig ConfigFor(TrialSpec trial, TrialSlot slot) =>
        trial.Config with
        {
            Device = slot.Device,
            Threads = slot.Device == "cpu" ? Resources.CpuThreadsPerTrial : trial.Config.Threads,
        };

    /// <summary>The base config with each grid combination applied, in expansion order, with the value index chosen on each axis.</summary>
    internal IEnumerable<(TrialConfig Config, int[] Choice)> Configurations()
    {
        var nodes = Grid.Select(axis => axis.Values.Select(v => ParseValue(axis.Key, v)).ToList()).ToList();
        foreach (var choice in Odometer(Grid.Select(a => a.Values.Count).ToList()))
        {
            var problems = new ProblemList(Name);
            var config = Base;
            for (var i = 0; i < Grid.Count; i++)
                config = TrialParameters.Apply(config, Grid[i].Key, nodes[i][choice[i]], problems);
            if (problems.Count > 0)
                throw new InvalidOperationException($"Sweep '{Name}' has a grid value that does not fit its key: {problems[0]}");
            yield return (config, choice);
        }
    }

    /// <summary>Every index combination of axes of the given sizes, the last axis turning fastest; none when an axis is empty.</summary>
    internal static IEnumerable<int[]> Odometer(IReadOnlyList<int> sizes)
    {
        if (sizes.Any(s => s == 0)) yield break;
        var choice = new int[sizes.Count];
        while (true)
        {
            yield return (int[])choice.Clone();
            var axis = sizes.Count - 1;
            while (axis >= 0 && ++choice[axis] == sizes[axis]) choice[axis--] = 0;
            if (axis < 0) yield break;
        }
    }

    /// <summary>The product, or long.MaxValue where it would overflow: a mistyped grid must not wrap round to a small size.</summary>
    internal static long SaturatingProduct(IEnumerable<long> factors)
    {
        var product = 1L;
        foreach (var f in factors)
        {
            if (f == 0) return 0;
            product = product > long.MaxValue / f ? long.MaxValue : product * f;
        }
        return product;
    }

    private YamlNode ParseValue(string key, string text)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents[0].RootNode;
        }
        catch (Exception e) when (e is YamlException or ArgumentOutOfRangeException)
        {
            throw new InvalidOperationException($"Sweep '{Name}': grid value '{text}' of {key} is not YAML: {e.Message}", e);
        }
    }
}
