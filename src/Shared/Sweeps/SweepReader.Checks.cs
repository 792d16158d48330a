using System.Globalization;
using ClusterTrain.Shared.Training;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Shared.Sweeps;

/// <summary>Checks of what a sweep spec expands to: its size, every trial's rules, distinct trial ids.</summary>
internal sealed partial class SweepReader
{
    /// <summary>Whether the expansion is within the limit (counting the values as listed), so that checking each trial is affordable.</summary>
    private bool CheckSize(Dictionary<string, (int Line, YamlNode Node)> top, long seedCount, SweepLimits limits)
    {
        var combinations = SweepSpec.SaturatingProduct(_gridAt.Values.Select(g => (long)g.Listed));
        var trials = SweepSpec.SaturatingProduct([combinations, seedCount]);
        if (trials <= limits.MaxTrials) return true;
        var key = top.ContainsKey("grid") ? "grid" : top.ContainsKey("repeats") ? "repeats" : "seeds";
        _sweep.Add(key, string.Create(CultureInfo.InvariantCulture,
            $"expands to {SweepTable.Count(trials, "trial")} ({SweepTable.Count(combinations, "grid combination")} x {SweepTable.Count(seedCount, "seed")}), more than the limit of {limits.MaxTrials:N0}"),
            top[key].Line);
        return false;
    }

    /// <summary>
    /// <see cref="TrialRules"/> on every grid combination. A problem is reported once, at the line of the key
    /// it is about, with the grid values shared by every combination that has it (unless all have it).
    /// </summary>
    private void CheckTrials(SweepSpec spec)
    {
        var found = new Dictionary<(string Path, string Message), (int? Line, List<int[]> Choices)>();
        var order = new List<(string Path, string Message)>();
        var total = 0;
        foreach (var (config, choice) in spec.Configurations())
        {
            total++;
            var problems = new ProblemList(_source);
            foreach (var (key, line) in _locations) problems.Locate(key, line);
            foreach (var key in _broken) problems.Add(key, "not read");
            var known = problems.Count;
            TrialRules.Validate(config, problems);
            foreach (var p in problems.Skip(known))
            {
                if (!found.TryGetValue((p.Path, p.Message), out var seen))
                {
                    found[(p.Path, p.Message)] = seen = (p.Line, []);
                    order.Add((p.Path, p.Message));
                }
                seen.Choices.Add(choice);
            }
        }
        foreach (var (path, message) in order)
        {
            var (line, choices) = found[(path, message)];
            _trial.Add(path, message + Where(spec.Grid, path, choices, total), line);
        }
    }

    /// <summary>
    /// " (with model.family=resnet)": the swept values shared by every combination having a problem, less
    /// the problem's own key, whose value the message already gives; nothing when all combinations have it.
    /// </summary>
    private static string Where(IReadOnlyList<GridAxis> grid, string path, List<int[]> choices, int total)
    {
        if (choices.Count == total) return "";
        var common = Enumerable.Range(0, grid.Count)
            .Where(a => grid[a].Values.Count > 1 && choices.All(c => c[a] == choices[0][a]))
            .ToList();
        if (common.Count == 0) return $" (in {choices.Count} of {total} grid combinations)";
        var shown = common.Where(a => grid[a].Key != path).Select(a => $"{grid[a].Key}={grid[a].Values[choices[0][a]]}").ToList();
        return shown.Count > 0 ? $" (with {string.Join(", ", shown)})" : "";
    }

    /// <summary>
    /// Distinct values make distinct configs, but identity leaves out a dataset path's trailing separator,
    /// and 48-bit ids can clash: either would merge two trials' results.
    /// </summary>
    private void CheckIds(SweepSpec spec, Dictionary<string, (int Line, YamlNode Node)> top)
    {
        var first = new Dictionary<string, int>();
        foreach (var trial in spec.Expand())
            if (!first.TryAdd(trial.TrialId, trial.Index))
                _sweep.Add("grid", $"trials {first[trial.TrialId]} and {trial.Index} have the same id {trial.TrialId}: make their grid values differ",
                    top.TryGetValue("grid", out var grid) ? grid.Line : null);
    }
}
