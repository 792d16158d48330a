using System.Collections;

namespace ClusterTrain.Shared;

/// <summary>
/// Collects every problem of one configuration source, so a user sees them all at once, and remembers
/// the line of each key read, so a rule checked after reading can still point at the right line.
/// </summary>
public sealed class ProblemList(string source) : IReadOnlyList<Problem>
{
    private readonly List<Problem> _problems = [];
    private readonly Dictionary<string, int> _lines = [];

    public string Source { get; } = source;

    public int Count => _problems.Count;

    public Problem this[int index] => _problems[index];

    /// <summary>Records that the value of <paramref name="path"/> sits on <paramref name="line"/>.</summary>
    public void Locate(string path, int line) => _lines[path] = line;

    public bool IsLocated(string path) => _lines.ContainsKey(path);

    /// <summary>The line of <paramref name="path"/>, else of its nearest located parent ("model" for "model.depth").</summary>
    public int? LineOf(string path)
    {
        for (var p = path; ; p = p[..p.LastIndexOf('.')])
        {
            if (_lines.TryGetValue(p, out var line)) return line;
            if (!p.Contains('.')) return null;
        }
    }

    /// <param name="line">Where the problem is; by default the located line of the path.</param>
    public void Add(string path, string message, int? line = null) =>
        _problems.Add(new Problem(path, message, line ?? LineOf(path), Source));

    /// <summary>Adds problems whose paths are relative to <paramref name="prefix"/>, e.g. a ModelSpec's under "model".</summary>
    public void AddUnder(string prefix, IEnumerable<Problem> problems)
    {
        foreach (var p in problems) Add(p.Path.Length == 0 ? prefix : $"{prefix}.{p.Path}", p.Message, p.Line);
    }

    /// <exception cref="ConfigException">There is at least one problem.</exception>
    public void ThrowIfAny()
    {
        if (_problems.Count > 0) throw new ConfigException(_problems.ToList());
    }

    public IEnumerator<Problem> GetEnumerator() => _problems.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
