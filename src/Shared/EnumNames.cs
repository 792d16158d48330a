namespace ClusterTrain.Shared;

/// <summary>
/// The names an enum's values go by in files and on the command line, e.g. "cifar-resnet" for
/// ModelFamily.CifarResNet. Parsing ignores case; formatting gives the listed spelling.
/// </summary>
public sealed class EnumNames<TEnum> where TEnum : struct, Enum
{
    private readonly (TEnum Value, string Name)[] _table;

    public EnumNames(params (TEnum Value, string Name)[] table)
    {
        var missing = Enum.GetValues<TEnum>().Where(v => !table.Any(t => t.Value.Equals(v))).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"{typeof(TEnum).Name} has no name for {string.Join(", ", missing)}.");
        _table = table;
    }

    /// <summary>Every name, in table order.</summary>
    public IReadOnlyList<string> Names => _table.Select(t => t.Name).ToList();

    /// <summary>"a, b, c": the names for error messages.</summary>
    public string Allowed => string.Join(", ", Names);

    public string Format(TEnum value)
    {
        foreach (var (v, name) in _table)
            if (v.Equals(value)) return name;
        throw new ArgumentOutOfRangeException(nameof(value), value, $"Not a {typeof(TEnum).Name}.");
    }

    public bool TryParse(string name, out TEnum value)
    {
        foreach (var (v, n) in _table)
        {
            if (!string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) continue;
            value = v;
            return true;
        }
        value = default;
        return false;
    }

    /// <exception cref="FormatException">Names the bad value and lists the allowed ones.</exception>
    public TEnum Parse(string name) =>
        TryParse(name, out var value) ? value : throw new FormatException($"'{name}' is not one of {Allowed}");
}
