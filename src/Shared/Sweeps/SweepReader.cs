using System.Globalization;
using System.Text.RegularExpressions;
using ClusterTrain.Shared.Training;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Shared.Sweeps;

/// <summary>
/// Reads one sweep spec into a <see cref="SweepSpec"/>, collecting every problem. This part reads the
/// sweep's own keys; SweepReader.Trials reads trial parameters, SweepReader.Checks checks the expansion.
/// </summary>
internal sealed partial class SweepReader(string source, string baseDirectory)
{
    private static readonly string[] TopKeys =
        ["name", "data", "dataset", "fixed", "grid", "seeds", "repeats", "stats", "resources", "retries", "concurrency", "checkpoint_every"];

    private static readonly string[] ResourceKeys = ["gpus_per_trial", "cpu_threads_per_trial"];

    private static readonly string[] RetryKeys = ["max_attempts"];

    /// <summary>Problems of the sweep's own keys, with their YAML paths ("seeds", "grid.model.depth").</summary>
    private readonly ProblemList _sweep = new(source);

    private readonly string _source = source;

    private readonly string _baseDirectory = baseDirectory;

    private sealed record Entry(string Key, int Line, YamlNode Value, string YamlPath);

    public SweepSpec Read(YamlMappingNode? root, SweepLimits limits)
    {
        var top = TopLevel(root);
        var name = ReadName(top);
        ReadData(top);
        if (top.TryGetValue("stats", out var stats)) ReadTrialSection(stats, "stats", "stats");
        if (top.TryGetValue("fixed", out var fixedParameters)) ReadFixed(fixedParameters);
        if (top.TryGetValue("checkpoint_every", out var checkpoints))
            SetFixed(new Entry("checkpoint_every", checkpoints.Line, checkpoints.Node, "checkpoint_every"));
        _base = TrialRules.ResolvePaths(_base, _baseDirectory);
        // Rules checked against the default standing in for a value that did not read would only mislead.
        _broken.UnionWith(_trial.Select(p => p.Path));
        if (top.TryGetValue("grid", out var grid)) ReadGrid(grid);
        RequireModel(top);
        var (seeds, seedCount) = ReadSeeds(top, limits);

        var resources = Settings(top, "resources", ResourceKeys);
        var retries = Settings(top, "retries", RetryKeys);
        var defaults = new SweepResources();
        var spec = new SweepSpec(
            name,
            _base,
            _grid,
            seeds,
            new SweepResources(
                Count(resources, "gpus_per_trial", "resources.gpus_per_trial", defaults.GpusPerTrial, 1, "is not positive",
                    max: 1, aboveRule: "is more than one: a trial trains on one device (a slot is one GPU), multi-GPU trials are not supported"),
                Count(resources, "cpu_threads_per_trial", "resources.cpu_threads_per_trial", defaults.CpuThreadsPerTrial, 0,
                    "is negative (0 gives a trial every thread of its slot)")),
            Count(retries, "max_attempts", "retries.max_attempts", SweepSpec.DefaultMaxAttempts, 1,
                "is not positive: the first run of a trial is attempt 1"),
            Count(top, "concurrency", "concurrency", 0, 0, "is negative (0 means no limit)"));

        var read = _trial.Count;
        if (CheckSize(top, seedCount, limits))
        {
            CheckTrials(spec);
            if (_trial.Count == 0 && _sweep.Count == 0) CheckIds(spec, top);
        }

        // In file order; on one line, what did not read before the rules the values break.
        var problems = _trial.Select((p, i) => (Problem: p with { Path = YamlPath(p.Path) }, Rule: i >= read))
            .Concat(_sweep.Select(p => (Problem: p, Rule: false)))
            .OrderBy(p => p.Problem.Line ?? 0).ThenBy(p => p.Rule)
            .Select(p => p.Problem)
            .ToList();
        if (problems.Count > 0) throw new ConfigException(problems);
        return spec;
    }

    private Dictionary<string, (int Line, YamlNode Node)> TopLevel(YamlMappingNode? root)
    {
        var top = new Dictionary<string, (int Line, YamlNode Node)>();
        foreach (var (k, v) in Children(root))
        {
            var line = Line(k);
            if (k is not YamlScalarNode { Value: { Length: > 0 } key })
                _sweep.Add("", $"expected a key name, found {YamlCodecs.Describe(k)}", line);
            else if (TopKeys.Contains(key))
                top[key] = (line, v);
            else if (TrialParameters.Keys.Contains(key) || TrialParameters.Sections.Contains(key))
                _sweep.Add(key, $"'{key}' is a trial parameter: set it under fixed, or list its values under grid", line);
            else
                _sweep.Add(key, $"unknown key '{key}'; allowed: {string.Join(", ", TopKeys)}", line);
        }
        return top;
    }

    private string ReadName(Dictionary<string, (int Line, YamlNode Node)> top)
    {
        if (!top.TryGetValue("name", out var entry))
        {
            _sweep.Add("name", "required: a short name for the sweep, e.g. name: resnet-depths");
            return "";
        }
        if (!TryRead(YamlCodecs.Text, entry.Node, "name", out var name)) return "";
        if (!NamePattern().IsMatch(name))
            _sweep.Add("name", $"'{name}' is not a usable name: use up to 64 letters, digits, '.', '_' and '-', starting with a letter or digit", entry.Line);
        return name;
    }

    /// <summary>The seeds, and how many the spec asks for (for the size limit, before any list is made).</summary>
    private (IReadOnlyList<int> Seeds, long Count) ReadSeeds(Dictionary<string, (int Line, YamlNode Node)> top, SweepLimits limits)
    {
        var hasSeeds = top.TryGetValue("seeds", out var listed);
        var hasRepeats = top.TryGetValue("repeats", out var repeats);
        if (hasSeeds && hasRepeats)
            _sweep.Add("repeats", "give seeds or repeats, not both", repeats.Line);

        if (hasSeeds)
        {
            if (listed.Node is not YamlSequenceNode list)
            {
                _sweep.Add("seeds", $"expected a list of integers such as [0, 1, 2], found {YamlCodecs.Describe(listed.Node)}", listed.Line);
                return ([0], 1);
            }
            if (list.Children.Count == 0)
            {
                _sweep.Add("seeds", "empty: list at least one seed, e.g. [0, 1, 2], or leave seeds out for seed 0 alone", listed.Line);
                return ([0], 1);
            }
            var seeds = new List<int>();
            foreach (var item in list.Children)
                if (TryRead(YamlCodecs.Integer, item, "seeds", out var seed))
                {
                    if (seeds.Contains(seed)) _sweep.Add("seeds", $"{seed} appears twice", Line(item));
                    else seeds.Add(seed);
                }
            return (seeds.Count > 0 ? seeds : [0], list.Children.Count);
        }
        if (hasRepeats && TryRead(YamlCodecs.Integer, repeats.Node, "repeats", out var n))
        {
            if (n < 1) _sweep.Add("repeats", $"{n} is not positive", repeats.Line);
            else return (n <= limits.MaxTrials ? Enumerable.Range(0, n).ToList() : [0], n);
        }
        return ([0], 1);
    }

    /// <summary>The keys of a settings mapping (resources, retries); unknown ones are problems.</summary>
    private Dictionary<string, (int Line, YamlNode Node)> Settings(
        Dictionary<string, (int Line, YamlNode Node)> top, string key, string[] allowed)
    {
        var settings = new Dictionary<string, (int Line, YamlNode Node)>();
        if (!top.TryGetValue(key, out var entry)) return settings;
        foreach (var (k, v) in Children(Mapping(entry, key, string.Join(", ", allowed))))
        {
            var line = Line(k);
            if (k is YamlScalarNode { Value: { Length: > 0 } name } && allowed.Contains(name))
                settings[name] = (line, v);
            else
                _sweep.Add($"{key}.{(k as YamlScalarNode)?.Value}", $"unknown key {YamlCodecs.Describe(k)} in {key}; allowed: {string.Join(", ", allowed)}", line);
        }
        return settings;
    }

    /// <summary>An integer setting, <paramref name="fallback"/> when absent or unreadable; below <paramref name="min"/> is a problem.</summary>
    private int Count(Dictionary<string, (int Line, YamlNode Node)> settings, string key, string path, int fallback, int min, string rule,
        int max = int.MaxValue, string aboveRule = "")
    {
        if (!settings.TryGetValue(key, out var entry) || !TryRead(YamlCodecs.Integer, entry.Node, path, out var value)) return fallback;
        if (value < min) _sweep.Add(path, string.Create(CultureInfo.InvariantCulture, $"{value} {rule}"), entry.Line);
        if (value > max) _sweep.Add(path, string.Create(CultureInfo.InvariantCulture, $"{value} {aboveRule}"), entry.Line);
        return value;
    }

    /// <summary>A mapping, or null (with a problem unless the value is null, which reads as empty).</summary>
    private YamlMappingNode? Mapping((int Line, YamlNode Node) entry, string path, string expected)
    {
        if (entry.Node is YamlMappingNode mapping) return mapping;
        if (!IsNull(entry.Node))
            _sweep.Add(path, $"expected a mapping of {expected}, found {YamlCodecs.Describe(entry.Node)}", entry.Line);
        return null;
    }

    private bool TryRead<T>(YamlCodec<T> codec, YamlNode node, string path, out T value)
    {
        try
        {
            value = codec.Read(node);
            return true;
        }
        catch (YamlValueException e)
        {
            _sweep.Add(path, e.Message, e.Line);
            value = default!;
            return false;
        }
    }

    private static IEnumerable<KeyValuePair<YamlNode, YamlNode>> Children(YamlMappingNode? mapping) =>
        mapping is null ? [] : mapping.Children;

    private static bool IsNull(YamlNode node) => node is YamlScalarNode scalar && YamlCodecs.IsNull(scalar);

    private static int Line(YamlNode node) => checked((int)node.Start.Line);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
