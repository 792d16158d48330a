using ClusterTrain.Shared.Training;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Data;

/// <summary>
/// Reads the CIFAR-10 binary distribution (cifar-10-batches-bin): records of 3073 bytes, one label byte
/// (0..9) then 1024 red, 1024 green and 1024 blue bytes, row-major 32x32.
/// </summary>
public static class Cifar10Binary
{
    public const int RecordBytes = DatasetFiles.Cifar10RecordBytes;
    public const string TestFile = "test_batch.bin";
    public const string MetaFile = "batches.meta.txt";
    private const int Side = 32;
    private const int ImageBytes = 3 * Side * Side;

    public static IReadOnlyList<string> TrainFiles => DatasetFiles.Cifar10Train;

    public static IReadOnlyList<string> DefaultClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>
    /// Whichever of data_batch_1..5.bin exist, concatenated in file order; at least one is required, so a
    /// partial copy (the shared test data has only data_batch_1) still trains.
    /// </summary>
    public static TensorDataset LoadTrain(string folder)
    {
        RequireFolder(folder);
        var present = TrainFiles.Select(f => Path.Combine(folder, f)).Where(File.Exists).ToList();
        if (present.Count == 0)
            throw new FileNotFoundException(
                $"No CIFAR-10 training batches in {folder}: expected one or more of {string.Join(", ", TrainFiles)}.");
        return Load(present, ReadClassNames(folder));
    }

    public static TensorDataset LoadTest(string folder)
    {
        RequireFolder(folder);
        var path = Path.Combine(folder, TestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"The CIFAR-10 test batch {TestFile} is not in {folder}.", path);
        return Load([path], ReadClassNames(folder));
    }

    /// <summary>Class names from batches.meta.txt (one per line) when the folder has it, else the standard ten.</summary>
    public static IReadOnlyList<string> ReadClassNames(string folder)
    {
        var path = Path.Combine(folder, MetaFile);
        if (!File.Exists(path)) return DefaultClassNames;
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != 10)
            throw new InvalidDataException($"{path} lists {names.Length} class names; CIFAR-10 has 10 (one per line).");
        return names;
    }

    public static TensorDataset Load(IReadOnlyList<string> files, IReadOnlyList<string> classNames)
    {
        using var scope = NewDisposeScope();
        var parts = files.Select(ReadRecords).ToList();
        var records = parts.Count == 1 ? parts[0] : cat(parts, 0);
        var labels = records.select(1, 0).to(ScalarType.Int64);
        var images = records.narrow(1, 1, ImageBytes).reshape(-1, 3, Side, Side).contiguous();
        return new TensorDataset(images, labels, classNames);
    }

    /// <summary>One batch file as uint8 [records, 3073], validated.</summary>
    private static Tensor ReadRecords(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0)
            throw new InvalidDataException($"{path} is empty; a CIFAR-10 batch holds {RecordBytes}-byte records.");
        if (bytes.Length % RecordBytes != 0)
            throw new InvalidDataException(
                $"{path} is {bytes.Length} bytes, not a whole number of {RecordBytes}-byte CIFAR-10 records " +
                $"({bytes.Length / RecordBytes} records and {bytes.Length % RecordBytes} bytes over): truncated or not a CIFAR-10 batch.");
        var count = bytes.Length / RecordBytes;
        for (var i = 0; i < count; i++)
        {
            var label = bytes[(long)i * RecordBytes];
            if (label > 9)
                throw new InvalidDataException($"{path}: record {i} has label {label}; CIFAR-10 labels are 0..9.");
        }
        return tensor(bytes, [count, RecordBytes], ScalarType.Byte);
    }

    private static void RequireFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The CIFAR-10 folder {folder} does not exist.");
    }
}
