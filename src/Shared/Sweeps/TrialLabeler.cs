using ClusterTrain.Shared.Models;

namespace ClusterTrain.Shared.Sweeps;

/// <summary>Short trial names for tables and plots: "ResNet-20 lr=0.1", "plain-56".</summary>
internal sealed class TrialLabeler
{
    // The model's display name already says these.
    private static readonly string[] ShownByName = ["model.family", "model.depth", "model.shortcuts", "model.batchnorm"];

    private readonly List<(string Key, string Name)> _shown;

    public TrialLabeler(IReadOnlyList<GridAxis> grid)
    {
        var keys = grid.Select(a => a.Key).Where(k => !ShownByName.Contains(k)).ToList();
        var names = keys.Select(k => k[(k.LastIndexOf('.') + 1)..]).ToList();
        // "lr" reads better than "optimizer.lr"; two kinds (optimizer, schedule) keep their sections apart.
        _shown = keys.Select((k, i) => (k, names.Count(n => n == names[i]) > 1 ? k : names[i])).ToList();
    }

    public string Label(ModelSpec model, IReadOnlyDictionary<string, string> gridValues) =>
        string.Join(" ", _shown.Select(s => $"{s.Name}={gridValues[s.Key]}").Prepend(model.DisplayName));
}
