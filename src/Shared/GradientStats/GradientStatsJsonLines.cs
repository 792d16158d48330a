using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClusterTrain.Shared.GradientStats;

/// <summary>
/// JSON-lines form of gradient statistics: one snapshot per line,
/// {"trial":..,"step":..,"layers":[{"index":..,"name":..,"count":..,"l2_norm":..,"mean":..,"variance":..,...}],"train_loss":..,"train_error":..}.
/// Lossless: doubles are written at round-trip precision, NaN and infinities as "NaN", "Infinity", "-Infinity".
/// </summary>
public static class GradientStatsJsonLines
{
    // The training means are optional so that lines written before snapshots carried them still read (as NaN).
    private sealed record Line(string Trial, long Step, IReadOnlyList<LayerGradientStats> Layers,
        double TrainLoss = double.NaN, double TrainError = double.NaN);

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>One line of JSON, without the line break.</summary>
    public static string Format(string trial, GradientSnapshot snapshot) =>
        JsonSerializer.Serialize(new Line(trial, snapshot.Step, snapshot.Layers, snapshot.TrainLoss, snapshot.TrainError), Options);

    /// <exception cref="FormatException">The line is not a complete snapshot.</exception>
    public static TrialSnapshot Parse(string line)
    {
        Line? parsed;
        try { parsed = JsonSerializer.Deserialize<Line>(line, Options); }
        catch (JsonException e) { throw new FormatException(e.Message, e); }
        if (parsed is null) throw new FormatException("the line is null, not a snapshot");
        return new TrialSnapshot(parsed.Trial, new GradientSnapshot(parsed.Step, parsed.Layers, parsed.TrainLoss, parsed.TrainError));
    }

    public static void Write(TextWriter writer, string trial, GradientSnapshot snapshot) =>
        writer.WriteLine(Format(trial, snapshot));

    /// <summary>Every snapshot of a file; blank lines are skipped.</summary>
    /// <exception cref="FormatException">Names the source and line of the first bad line.</exception>
    public static IEnumerable<TrialSnapshot> Read(TextReader reader, string sourceName)
    {
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            TrialSnapshot snapshot;
            try { snapshot = Parse(line); }
            catch (FormatException e) { throw new FormatException($"{sourceName}:{lineNumber}: {e.Message}", e); }
            yield return snapshot;
        }
    }
}
