namespace ClusterTrain.Shared.GradientStats;

/// <summary>
/// Per (step, layer), the spread across seeds of the gradient L2 norm, for one configuration run with
/// several seeds. Snapshots stream in one at a time, from any seed in any order.
/// </summary>
public sealed class SeedAggregate
{
    private sealed class Cell(string name)
    {
        public string Name { get; } = name;
        public RunningMoments Norms { get; } = new();
        public double Min { get; set; } = double.PositiveInfinity;
        public double Max { get; set; } = double.NegativeInfinity;
    }

    private readonly Dictionary<(long Step, int Index), Cell> _cells = [];
    private readonly HashSet<(int Seed, long Step)> _seen = [];
    private readonly SortedSet<int> _seeds = [];

    /// <summary>Seeds that contributed at least one snapshot, ascending.</summary>
    public IReadOnlyCollection<int> Seeds => _seeds;

    /// <exception cref="ArgumentException">The seed's snapshot of this step was already added, or a layer
    /// index carries a different name than in earlier snapshots (a different architecture).</exception>
    public void Add(int seed, GradientSnapshot snapshot)
    {
        if (_seen.Contains((seed, snapshot.Step)))
            throw new ArgumentException($"Seed {seed} already contributed a snapshot of step {snapshot.Step}.");
        foreach (var layer in snapshot.Layers)
            if (_cells.TryGetValue((snapshot.Step, layer.Index), out var existing) && existing.Name != layer.Name)
                throw new ArgumentException(
                    $"Layer {layer.Index} of seed {seed} at step {snapshot.Step} is '{layer.Name}', "
                    + $"but other seeds call it '{existing.Name}'.");

        _seen.Add((seed, snapshot.Step));
        _seeds.Add(seed);
        foreach (var layer in snapshot.Layers)
        {
            var key = (snapshot.Step, layer.Index);
            if (!_cells.TryGetValue(key, out var cell)) _cells[key] = cell = new Cell(layer.Name);
            cell.Norms.Push(layer.L2Norm);
            if (!double.IsFinite(layer.L2Norm)) continue;
            cell.Min = Math.Min(cell.Min, layer.L2Norm);
            cell.Max = Math.Max(cell.Max, layer.L2Norm);
        }
    }

    /// <summary>The spread at one step and layer index, or null when no seed reported it.</summary>
    public SeedSpread? Get(long step, int index) =>
        _cells.TryGetValue((step, index), out var cell) ? Spread(step, index, cell) : null;

    /// <summary>Every (step, layer) seen, ordered by step, then layer index.</summary>
    public IReadOnlyList<SeedSpread> Spreads() =>
        _cells.OrderBy(c => c.Key.Step).ThenBy(c => c.Key.Index)
            .Select(c => Spread(c.Key.Step, c.Key.Index, c.Value))
            .ToList();

    private static SeedSpread Spread(long step, int index, Cell cell) => new(
        step,
        index,
        cell.Name,
        cell.Norms.Count,
        cell.Norms.NonFinite,
        cell.Norms.Mean,
        cell.Norms.SampleStd,
        cell.Norms.Count > 0 ? cell.Min : double.NaN,
        cell.Norms.Count > 0 ? cell.Max : double.NaN);
}
