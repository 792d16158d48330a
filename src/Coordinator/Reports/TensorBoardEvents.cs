using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using ClusterTrain.Coordinator.Reports.TensorBoard;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Sweeps;
using Google.Protobuf;

namespace ClusterTrain.Coordinator.Reports;

/// <summary>
/// TensorBoard event files, one run folder per trial, so that <c>tensorboard --logdir OUT/tensorboard</c> shows every
/// trial's training loss and error, gradient norms and final test error as scalars, and each layer's gradient
/// magnitudes as histograms.
/// </summary>
/// <remarks>
/// Written here rather than with TorchSharp's <c>torch.utils.tensorboard.SummaryWriter</c>: its <c>add_histogram</c>
/// bins raw tensor values itself, while the coordinator holds only the trainer's fixed log10|g| bins (the raw gradients
/// never leave the node), and it would pull libtorch into report writing. The format is small: TFRecord frames (length,
/// masked CRC-32C of the length, the bytes, masked CRC-32C of the bytes) around protobuf Event messages
/// (tensorboard.proto).
/// </remarks>
public static class TensorBoardEvents
{
    public const string Folder = "tensorboard";
    public const string FileVersion = "brain.Event:2";
    public const string TrainLossTag = "train/loss";
    public const string TrainErrorTag = "train/error";
    public const string TestErrorTag = "test/error";
    public const string TestLossTag = "test/loss";

    /// <summary>Scalar tag of a layer's gradient L2 norm.</summary>
    public static string GradientNormTag(LayerGradientStats layer) => $"gradient_norm/{layer.Index:D3} {layer.Name}";

    /// <summary>Histogram tag of a layer's log10|g|.</summary>
    public static string HistogramTag(LayerGradientStats layer) => $"gradient_log10_abs/{layer.Index:D3} {layer.Name}";

    /// <summary>A trial's run folder name: its label and seed for people, its id to keep it unique.</summary>
    public static string RunName(TrialSpec trial) =>
        $"{Sanitize(trial.Label)}_seed{trial.Seed}_{trial.TrialId}";

    /// <summary>
    /// Writes one event file into <paramref name="runFolder"/>, replacing any earlier one (a report written again would
    /// otherwise show every point twice), and returns its path.
    /// </summary>
    public static string Write(string runFolder, TrialSpec trial, TrialReport? report, IReadOnlyList<GradientSnapshot> snapshots, DateTimeOffset now)
    {
        Directory.CreateDirectory(runFolder);
        foreach (var old in Directory.EnumerateFiles(runFolder, "events.out.tfevents.*")) File.Delete(old);
        var stats = trial.Config.Stats;
        var spec = new HistogramSpec(stats.HistogramBins, stats.HistogramMinLog10, stats.HistogramMaxLog10);
        var wallTime = now.ToUnixTimeMilliseconds() / 1000.0;

        var path = Path.Combine(runFolder, $"events.out.tfevents.{now.ToUnixTimeSeconds()}.{Sanitize(Environment.MachineName)}");
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            WriteRecord(stream, new Event { WallTime = wallTime, FileVersion = FileVersion });
            foreach (var snapshot in snapshots)
            {
                var summary = new Summary();
                AddScalar(summary, TrainLossTag, snapshot.TrainLoss);
                AddScalar(summary, TrainErrorTag, snapshot.TrainError);
                foreach (var layer in snapshot.Layers)
                {
                    AddScalar(summary, GradientNormTag(layer), layer.L2Norm);
                    if (Histogram(layer.Histogram, spec) is { } histogram)
                        summary.Value.Add(new Summary.Types.Value { Tag = HistogramTag(layer), Histo = histogram });
                }
                if (summary.Value.Count > 0) WriteRecord(stream, new Event { WallTime = wallTime, Step = snapshot.Step, Summary = summary });
            }
            if (report?.Result is { } result)
            {
                var summary = new Summary();
                AddScalar(summary, TestErrorTag, result.TestError ?? double.NaN);
                AddScalar(summary, TestLossTag, result.TestLoss ?? double.NaN);
                if (summary.Value.Count > 0) WriteRecord(stream, new Event { WallTime = wallTime, Step = result.Steps, Summary = summary });
            }
        }
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>
    /// The counts as a histogram of log10|g|: slot k covers [lower edge k, lower edge k+1); the slot below the range
    /// (zeros included) is drawn one bin wide below it, the overflow slot one bin above. Sum and sum of squares use bin
    /// centres. Only the slots from the first to the last non-empty one are written; null when all are empty or the
    /// histogram does not have the trial's layout.
    /// </summary>
    internal static HistogramProto? Histogram(IReadOnlyList<long> counts, HistogramSpec spec)
    {
        if (counts.Count != spec.Length) return null;
        var first = -1;
        var last = -1;
        for (var slot = 0; slot < counts.Count; slot++)
            if (counts[slot] > 0)
            {
                if (first < 0) first = slot;
                last = slot;
            }
        if (first < 0) return null;
        double LowerEdge(int slot) => spec.MinLog10 + (slot - 1) * spec.BinWidthLog10;
        var histogram = new HistogramProto { Min = LowerEdge(first), Max = LowerEdge(last + 1) };
        for (var slot = first; slot <= last; slot++)
        {
            var centre = LowerEdge(slot) + spec.BinWidthLog10 / 2;
            histogram.BucketLimit.Add(LowerEdge(slot + 1));
            histogram.Bucket.Add(counts[slot]);
            histogram.Num += counts[slot];
            histogram.Sum += centre * counts[slot];
            histogram.SumSquares += centre * centre * counts[slot];
        }
        return histogram;
    }

    /// <summary>A non-finite value (no result, a diverged loss) is left out: TensorBoard would draw it as a spike or a gap.</summary>
    private static void AddScalar(Summary summary, string tag, double value)
    {
        if (double.IsFinite(value)) summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
    }

    /// <summary>One TFRecord frame: little-endian u64 length, its masked CRC-32C, the bytes, their masked CRC-32C.</summary>
    private static void WriteRecord(Stream stream, IMessage message)
    {
        var data = message.ToByteArray();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        stream.Write(header);
        stream.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        stream.Write(footer);
    }

    /// <summary>CRC-32C (Castagnoli), rotated and offset as TFRecord masks it so that a CRC of CRCs is not trivially zero.</summary>
    internal static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    internal static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>Letters, digits, '-', '.' and '_' kept; anything else (spaces, '=', '/') becomes '_'.</summary>
    private static string Sanitize(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (var c in text) result.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_');
        return result.ToString();
    }
}
