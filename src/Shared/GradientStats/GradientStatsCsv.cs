using System.Globalization;
using System.Text;

namespace ClusterTrain.Shared.GradientStats;

/// <summary>
/// Long-format CSV of gradient statistics, one row per (trial, step, layer), for pandas or a spreadsheet.
/// Numbers are written in the invariant culture at round-trip precision ("R"); NaN and infinities as
/// "NaN", "Infinity" and "-Infinity". The histogram column holds the slot counts joined by ';'.
/// The file carries the standard deviation, not the variance, so a parsed Variance is std² and may differ
/// from the original in the last bit; the std itself, and so the re-written row, is exact.
/// </summary>
public static class GradientStatsCsv
{
    public const string Header =
        "trial,step,layer_index,layer,count,l2_norm,mean,std,mean_abs,max_abs,non_finite,weight_norm,update_ratio,histogram";

    private static readonly string[] Columns = Header.Split(',');

    public static void WriteHeader(TextWriter writer) => writer.WriteLine(Header);

    public static void WriteRows(TextWriter writer, string trial, GradientSnapshot snapshot)
    {
        foreach (var layer in snapshot.Layers) writer.WriteLine(FormatRow(trial, snapshot.Step, layer));
    }

    /// <summary>Header, then every snapshot's rows.</summary>
    public static void Write(TextWriter writer, IEnumerable<TrialSnapshot> snapshots)
    {
        WriteHeader(writer);
        foreach (var s in snapshots) WriteRows(writer, s.Trial, s.Snapshot);
    }

    public static string FormatRow(string trial, long step, LayerGradientStats s) => string.Join(',',
        Text(trial),
        Integer(step),
        Integer(s.Index),
        Text(s.Name),
        Integer(s.Count),
        Real(s.L2Norm),
        Real(s.Mean),
        Real(s.Std),
        Real(s.MeanAbs),
        Real(s.MaxAbs),
        Integer(s.NonFinite),
        Real(s.WeightNorm),
        Real(s.UpdateRatio),
        string.Join(';', s.Histogram.Select(Integer)));

    /// <summary>Parses one data row; errors name the column and the bad value.</summary>
    /// <exception cref="FormatException"/>
    public static GradientStatsRow ParseRow(string line)
    {
        var f = SplitFields(line);
        if (f.Count != Columns.Length)
            throw new FormatException($"expected {Columns.Length} columns ({Header}), found {f.Count}");
        var std = ParseReal(f, 7);
        var layer = new LayerGradientStats(
            Index: (int)ParseInteger(f, 2, max: int.MaxValue),
            Name: f[3],
            Count: ParseInteger(f, 4),
            L2Norm: ParseReal(f, 5),
            Mean: ParseReal(f, 6),
            Variance: std * std,
            MeanAbs: ParseReal(f, 8),
            MaxAbs: ParseReal(f, 9),
            NonFinite: ParseInteger(f, 10),
            WeightNorm: ParseReal(f, 11),
            UpdateRatio: ParseReal(f, 12),
            Histogram: ParseHistogram(f[13]));
        return new GradientStatsRow(f[0], ParseInteger(f, 1), layer);
    }

    /// <summary>Reads a whole file: header first, then rows; blank lines are skipped.</summary>
    /// <exception cref="FormatException">Names the source and line of the first bad row.</exception>
    public static IEnumerable<GradientStatsRow> Read(TextReader reader, string sourceName)
    {
        var header = reader.ReadLine();
        if (header != Header)
            throw new FormatException($"{sourceName}:1: expected the header '{Header}', found '{header}'");
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            GradientStatsRow row;
            try { row = ParseRow(line); }
            catch (FormatException e) { throw new FormatException($"{sourceName}:{lineNumber}: {e.Message}", e); }
            yield return row;
        }
    }

    /// <summary>Groups rows into snapshots by (trial, step) in order of first appearance, layers by index.</summary>
    public static IReadOnlyList<TrialSnapshot> ToSnapshots(IEnumerable<GradientStatsRow> rows) =>
        rows.GroupBy(r => (r.Trial, r.Step))
            .Select(g => new TrialSnapshot(
                g.Key.Trial,
                new GradientSnapshot(g.Key.Step, g.Select(r => r.Layer).OrderBy(l => l.Index).ToList())))
            .ToList();

    private static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Real(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Text(string value)
    {
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            throw new ArgumentException($"A CSV text field cannot hold a line break: '{value}'.", nameof(value));
        return value.AsSpan().IndexOfAny(',', '"') >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }

    private static long ParseInteger(List<string> fields, int column, long min = 0, long max = long.MaxValue)
    {
        if (long.TryParse(fields[column], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            && value >= min && value <= max)
            return value;
        throw new FormatException($"column '{Columns[column]}': '{fields[column]}' is not an integer in [{min}, {max}]");
    }

    private static double ParseReal(List<string> fields, int column) =>
        double.TryParse(fields[column], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"column '{Columns[column]}': '{fields[column]}' is not a number");

    private static long[] ParseHistogram(string field)
    {
        if (field.Length == 0) return [];
        var parts = field.Split(';');
        var counts = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]))
                throw new FormatException($"column 'histogram': slot {i} '{parts[i]}' is not a count");
        return counts;
    }

    /// <summary>RFC 4180 fields of one line: quoted fields may hold commas and doubled quotes.</summary>
    private static List<string> SplitFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length) throw new FormatException("a quoted field is not closed");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
                if (i < line.Length && line[i] != ',')
                    throw new FormatException($"unexpected '{line[i]}' after a quoted field");
            }
            else
            {
                while (i < line.Length && line[i] != ',') field.Append(line[i++]);
            }
            fields.Add(field.ToString());
            field.Clear();
            if (i >= line.Length) return fields;
            i++; // the comma
        }
    }
}
