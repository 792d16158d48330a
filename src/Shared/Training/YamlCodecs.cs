using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Shared.Training;

/// <summary>The value types of trial parameters. Numbers use the invariant culture; only plain null, ~ or an empty value is null.</summary>
internal static class YamlCodecs
{
    public static YamlCodec<int> Integer { get; } = new(
        node => ParseInt(Scalar(node, "an integer"), node),
        v => v.ToString(CultureInfo.InvariantCulture));

    public static YamlCodec<int?> NullableInteger { get; } = new(
        node => Scalar(node, "an integer or null") is var s && IsNull(s) ? null : ParseInt(s, node),
        v => v?.ToString(CultureInfo.InvariantCulture) ?? "null");

    public static YamlCodec<double> Number { get; } = new(
        node => ParseDouble(Scalar(node, "a number"), node),
        FormatDouble);

    public static YamlCodec<bool> Flag { get; } = new(
        node => NonNull(Scalar(node, "true or false"), node, "true or false").ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            var other => throw new YamlValueException(node, $"'{other}' is not true or false"),
        },
        v => v ? "true" : "false");

    public static YamlCodec<string> Text { get; } = new(
        node => NonNull(Scalar(node, "a string"), node, "a string"),
        Quote);

    public static YamlCodec<string?> NullableText { get; } = new(
        node => Scalar(node, "a string or null") is var s && IsNull(s) ? null : s.Value,
        v => v is null ? "null" : Quote(v));

    /// <summary>A flow or block sequence of numbers; null reads as null and null writes as [].</summary>
    public static YamlCodec<IReadOnlyList<double>?> NumberList { get; } = new(
        node => node switch
        {
            YamlScalarNode s when IsNull(s) => null,
            YamlSequenceNode seq => seq.Children.Select(item => ParseDouble(Scalar(item, "a number"), item)).ToList(),
            _ => throw new YamlValueException(node, $"expected a list of numbers such as [0.5, 0.75], found {Describe(node)}"),
        },
        v => $"[{string.Join(", ", (v ?? []).Select(FormatDouble))}]");

    public static YamlCodec<TEnum> OneOf<TEnum>(EnumNames<TEnum> names) where TEnum : struct, Enum => new(
        node => names.TryParse(NonNull(Scalar(node, $"one of {names.Allowed}"), node, $"one of {names.Allowed}"), out var v)
            ? v
            : throw new YamlValueException(node, $"'{((YamlScalarNode)node).Value}' is not one of {names.Allowed}"),
        names.Format);

    public static bool IsNull(YamlScalarNode s) =>
        s.Style is ScalarStyle.Plain or ScalarStyle.Any && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    public static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s when IsNull(s) => "null",
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "an alias",
    };

    private static YamlScalarNode Scalar(YamlNode node, string expected) =>
        node as YamlScalarNode ?? throw new YamlValueException(node, $"expected {expected}, found {Describe(node)}");

    private static string NonNull(YamlScalarNode s, YamlNode node, string expected) =>
        IsNull(s) ? throw new YamlValueException(node, $"expected {expected}, found null") : s.Value!;

    private static int ParseInt(YamlScalarNode s, YamlNode node) =>
        int.TryParse(NonNull(s, node, "an integer"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new YamlValueException(node, $"'{s.Value}' is not an integer");

    private static double ParseDouble(YamlScalarNode s, YamlNode node) =>
        double.TryParse(NonNull(s, node, "a number"), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new YamlValueException(node, $"'{s.Value}' is not a finite number");

    private static string FormatDouble(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A YAML double-quoted scalar, so that no string is ever read back as a number, boolean or null.</summary>
    private static string Quote(string v)
    {
        var b = new StringBuilder("\"");
        foreach (var c in v)
        {
            if (c is '"' or '\\') b.Append('\\').Append(c);
            else if (char.IsControl(c)) b.Append($"\\u{(int)c:x4}");
            else b.Append(c);
        }
        return b.Append('"').ToString();
    }
}
