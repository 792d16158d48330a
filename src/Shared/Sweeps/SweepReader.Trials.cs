using ClusterTrain.Shared.Training;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Shared.Sweeps;

/// <summary>
/// Trial parameters of a sweep spec: data, stats, fixed, checkpoint_every and grid. Each is read with
/// <see cref="TrialParameters"/> into problems whose paths are trial keys, so that <see cref="TrialRules"/>
/// finds their lines; at the end each path is renamed to where it was written ("model.depth" to
/// "grid.model.depth").
/// </summary>
internal sealed partial class SweepReader
{
    /// <summary>Trial keys a sweep sets its own way, never in fixed or grid, and why.</summary>
    private static readonly Dictionary<string, string> Reserved = new()
    {
        ["seed"] = "seeds come from seeds: [0, 1, 2] or repeats: 3, so that repeats are explicit",
        ["threads"] = "set it with resources.cpu_threads_per_trial",
        ["device"] = "each trial runs on the device of the slot it is given",
        ["checkpoint_every"] = "set checkpoint_every at the top level of the sweep",
    };

    /// <summary>Problems of trial parameters, with trial-key paths ("model.depth").</summary>
    private readonly ProblemList _trial = new(source);

    /// <summary>Trial key or section to the YAML path it was written at; the first writer of a section keeps it.</summary>
    private readonly Dictionary<string, string> _yamlPaths = [];

    /// <summary>Where each key read into the base config was set.</summary>
    private readonly Dictionary<string, (string YamlPath, int Line)> _fixedAt = [];

    /// <summary>Where each grid key was listed, and how many values it lists.</summary>
    private readonly Dictionary<string, (string YamlPath, int Line, int Listed)> _gridAt = [];

    /// <summary>Every key line located in <see cref="_trial"/>, to locate again for each grid combination's checks.</summary>
    private readonly List<(string Key, int Line)> _locations = [];

    /// <summary>Trial keys whose value did not read (or is missing): no rule is checked on them.</summary>
    private readonly HashSet<string> _broken = [];

    private readonly List<GridAxis> _grid = [];

    private TrialConfig _base = TrialParameters.Defaults;

    private void ReadData(Dictionary<string, (int Line, YamlNode Node)> top)
    {
        var hasData = top.TryGetValue("data", out var data);
        if (top.TryGetValue("dataset", out var dataset))
        {
            if (hasData) _sweep.Add("dataset", "data is given too; use one of data and dataset", dataset.Line);
            else ReadTrialSection(dataset, "data", "dataset");
        }
        if (hasData) ReadTrialSection(data, "data", "data");
    }

    /// <summary>A top-level section of trial keys (data, stats) into the base config.</summary>
    private void ReadTrialSection((int Line, YamlNode Node) entry, string section, string yamlPath)
    {
        _yamlPaths.TryAdd(section, yamlPath);
        Locate(section, entry.Line);
        if (entry.Node is YamlMappingNode mapping)
            foreach (var e in Entries(mapping, yamlPath, section)) SetFixed(e);
        else if (!IsNull(entry.Node))
            _base = TrialParameters.Apply(_base, section, entry.Node, entry.Line, _trial); // names what the section holds
    }

    private void ReadFixed((int Line, YamlNode Node) entry)
    {
        foreach (var e in Entries(Mapping(entry, "fixed", "trial parameters, e.g. { model.family: cifar-resnet, epochs: 2 }"), "fixed", null))
        {
            if (Reserved.TryGetValue(e.Key, out var why)) _sweep.Add(e.YamlPath, $"not allowed in fixed: {why}", e.Line);
            else SetFixed(e);
        }
    }

    /// <summary>Sets a key of the base config, once.</summary>
    private void SetFixed(Entry e)
    {
        if (_fixedAt.TryGetValue(e.Key, out var first))
        {
            _sweep.Add(e.YamlPath, $"already set at {first.YamlPath} (line {first.Line}); set each key once", e.Line);
            return;
        }
        _fixedAt[e.Key] = (e.YamlPath, e.Line);
        _yamlPaths[e.Key] = e.YamlPath;
        // A rule on a key of the section left unset ("data.kind: cifar10" without data.path) then points here.
        var section = e.Key.Contains('.') ? e.Key[..e.Key.IndexOf('.')] : "";
        if (TrialParameters.Sections.Contains(section) && !_trial.IsLocated(section))
        {
            _yamlPaths.TryAdd(section, e.YamlPath[..^(e.Key.Length - section.Length)]);
            Locate(section, e.Line);
        }
        Locate(e.Key, e.Line);
        _base = TrialParameters.Apply(_base, e.Key, e.Value, e.Line, _trial);
    }

    private void ReadGrid((int Line, YamlNode Node) entry)
    {
        var mapping = Mapping(entry, "grid", "trial parameters to lists of values, e.g. { model.depth: [20, 32] }");
        if (mapping is { Children.Count: > 0 })
            foreach (var e in Entries(mapping, "grid", null)) ReadAxis(e);
        else if (mapping is not null || IsNull(entry.Node))
            _sweep.Add("grid", "empty: list the values of at least one trial parameter, e.g. { model.depth: [20, 32] }, or leave grid out", entry.Line);
    }

    private void ReadAxis(Entry e)
    {
        if (Reserved.TryGetValue(e.Key, out var why))
        {
            _sweep.Add(e.YamlPath, $"cannot be swept: {why}", e.Line);
            return;
        }
        if (_fixedAt.TryGetValue(e.Key, out var set))
        {
            _sweep.Add(e.YamlPath, $"also set at {set.YamlPath} (line {set.Line}); a key is either fixed or swept", e.Line);
            return;
        }
        if (_gridAt.TryGetValue(e.Key, out var listed))
        {
            _sweep.Add(e.YamlPath, $"already listed at {listed.YamlPath} (line {listed.Line})", e.Line);
            return;
        }
        _yamlPaths[e.Key] = e.YamlPath;
        if (!TrialParameters.Keys.Contains(e.Key))
        {
            TrialParameters.Apply(_base, e.Key, e.Value, e.Line, _trial); // names the unknown key and the allowed ones
            return;
        }
        var list = e.Value as YamlSequenceNode;
        _gridAt[e.Key] = (e.YamlPath, e.Line, list?.Children.Count ?? 1);
        _broken.Add(e.Key); // until a value reads
        if (list is null)
        {
            _sweep.Add(e.YamlPath, $"expected a list of values such as [a, b], found {YamlCodecs.Describe(e.Value)}; a single value belongs in fixed", e.Line);
            return;
        }
        if (list.Children.Count == 0)
        {
            _sweep.Add(e.YamlPath, "empty list: give at least one value", e.Line);
            return;
        }

        Locate(e.Key, e.Line);
        var values = new List<string>();
        foreach (var item in list.Children)
        {
            var known = _trial.Count;
            var config = TrialParameters.Apply(_base, e.Key, item, e.Line, _trial);
            if (_trial.Count > known) continue;
            // One spelling per value: 0.1 and 0.10 are the same value, and so are a relative path and its absolute form.
            var value = TrialParameters.Format(TrialRules.ResolvePaths(config, _baseDirectory), e.Key);
            if (values.Contains(value))
                _sweep.Add(e.YamlPath, $"{value} appears twice; repeat trials with seeds or repeats", Line(item));
            else
                values.Add(value);
        }
        if (values.Count == 0) return;
        _broken.Remove(e.Key);
        _grid.Add(new GridAxis(e.Key, values));
    }

    /// <summary>Model family and depth have no sensible default, so a sweep must say them.</summary>
    private void RequireModel(Dictionary<string, (int Line, YamlNode Node)> top)
    {
        int? line = top.TryGetValue("fixed", out var entry) ? entry.Line : null;
        foreach (var key in new[] { "model.family", "model.depth" })
            if (!_fixedAt.ContainsKey(key) && !_gridAt.ContainsKey(key))
            {
                _sweep.Add($"fixed.{key}", "required: set it under fixed, or list its values under grid", line);
                _broken.Add(key);
            }
    }

    /// <summary>
    /// The trial parameters of a mapping with their key lines: dotted keys ("model.depth: 20") and
    /// sections ("model: {depth: 20}") alike.
    /// </summary>
    private List<Entry> Entries(YamlMappingNode? mapping, string yamlPath, string? section)
    {
        var entries = new List<Entry>();
        foreach (var (k, v) in Children(mapping))
        {
            var line = Line(k);
            if (k is not YamlScalarNode { Value: { Length: > 0 } name })
            {
                _sweep.Add(yamlPath, $"expected a key name, found {YamlCodecs.Describe(k)}", line);
                continue;
            }
            if (section is null && TrialParameters.Sections.Contains(name) && v is YamlMappingNode inner)
            {
                _yamlPaths.TryAdd(name, $"{yamlPath}.{name}");
                if (!_trial.IsLocated(name)) Locate(name, line);
                entries.AddRange(Entries(inner, $"{yamlPath}.{name}", name));
            }
            else
                entries.Add(new Entry(section is null ? name : $"{section}.{name}", line, v, $"{yamlPath}.{name}"));
        }
        return entries;
    }

    private void Locate(string key, int line)
    {
        _trial.Locate(key, line);
        _locations.Add((key, line));
    }

    /// <summary>Where a trial key was written: the longest of it and its parents that was, with the rest appended.</summary>
    private string YamlPath(string trialPath)
    {
        for (var p = trialPath; p.Length > 0; p = p.Contains('.') ? p[..p.LastIndexOf('.')] : "")
            if (_yamlPaths.TryGetValue(p, out var yamlPath)) return yamlPath + trialPath[p.Length..];
        return trialPath;
    }
}
