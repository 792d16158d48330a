using System.Text;
using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Training;

/// <summary>Where training stood when a checkpoint was written; together with the weights and optimizer
/// state it is all that resuming needs, because every batch is a pure function of (seed, epoch, batch).</summary>
/// <param name="ConfigHash">Hash of the canonical trial config; resuming a different trial is refused.</param>
/// <param name="EpochLossSum">Running sums of the current epoch, so the final train loss survives a resume.</param>
public sealed record CheckpointState(
    string ConfigHash,
    long Step,
    double EpochLossSum,
    double EpochErrorSum,
    long EpochSteps,
    double TrainSeconds,
    long ImagesTrained);

/// <summary>
/// One file holding state, weights and optimizer state. Written to a temporary file in the same folder
/// and renamed over the old one, so a crash mid-write leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    public const string FileName = "checkpoint.ckpt";
    private const string Magic = "CLUSTERTRAIN-CKPT";
    private const int FormatVersion = 1;

    public static string PathIn(string folder) => Path.Combine(folder, FileName);

    public static void Save(string folder, CheckpointState state, nn.Module model, OptimizerHelper optimizer)
    {
        Directory.CreateDirectory(folder);
        var target = PathIn(folder);
        var temporary = $"{target}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write(JsonSerializer.Serialize(state));
                model.save(writer);
                optimizer.save_state_dict(writer);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Reads only the state header, e.g. to report where a run would resume.</summary>
    public static CheckpointState? TryReadState(string folder)
    {
        var path = PathIn(folder);
        if (!File.Exists(path)) return null;
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        return ReadHeader(reader, path);
    }

    public static CheckpointState Load(string folder, nn.Module model, OptimizerHelper optimizer)
    {
        var path = PathIn(folder);
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        var state = ReadHeader(reader, path);
        try
        {
            model.load(reader, strict: true);
            optimizer.load_state_dict(reader);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{path}: the weights or optimizer state do not fit this model ({e.Message}).", e);
        }
        return state;
    }

    private static CheckpointState ReadHeader(BinaryReader reader, string path)
    {
        try
        {
            if (reader.ReadString() != Magic) throw new InvalidDataException($"{path} is not a ClusterTrain checkpoint.");
            var version = reader.ReadInt32();
            if (version != FormatVersion)
                throw new InvalidDataException($"{path} has checkpoint format {version}; this build reads {FormatVersion}.");
            return JsonSerializer.Deserialize<CheckpointState>(reader.ReadString())
                ?? throw new InvalidDataException($"{path} has an empty state header.");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            throw new InvalidDataException($"{path} is truncated or corrupt ({e.Message}).", e);
        }
    }
}
