using System.Buffers.Binary;
using System.IO.Compression;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Data;

/// <summary>
/// Reads MNIST in its original IDX format: big-endian headers, magic 2051 for images
/// (count, rows, columns, then uint8 pixels) and 2049 for labels (count, then uint8 labels). Each file may
/// be raw or gzip-compressed; compression is recognised by the gzip magic bytes 1f 8b, not by the name,
/// and name.gz is looked for when name is absent.
/// </summary>
public static class MnistIdx
{
    public const int ImagesMagic = 2051;
    public const int LabelsMagic = 2049;
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    public static IReadOnlyList<string> ClassNames { get; } = [.. Enumerable.Range(0, 10).Select(i => i.ToString())];

    public static TensorDataset LoadTrain(string folder)
    {
        var images = Locate(folder, TrainImages);
        var labels = Locate(folder, TrainLabels);
        if (images is null || labels is null)
        {
            var hasTest = Locate(folder, TestImages) is not null;
            throw new FileNotFoundException(
                $"The MNIST training files {TrainImages}[.gz] and {TrainLabels}[.gz] are not both in {folder}" +
                (hasTest ? " (it holds only the t10k test set)" : "") +
                "; download them (Download: true) or put them there.");
        }
        return Load(images, labels);
    }

    public static TensorDataset LoadTest(string folder)
    {
        var images = Locate(folder, TestImages);
        var labels = Locate(folder, TestLabels);
        if (images is null || labels is null)
            throw new FileNotFoundException($"The MNIST test files {TestImages}[.gz] and {TestLabels}[.gz] are not both in {folder}.");
        return Load(images, labels);
    }

    /// <summary>The path of name or name.gz in folder, whichever exists (the raw file first), else null.</summary>
    public static string? Locate(string folder, string name)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The MNIST folder {folder} does not exist.");
        var raw = Path.Combine(folder, name);
        if (File.Exists(raw)) return raw;
        return File.Exists(raw + ".gz") ? raw + ".gz" : null;
    }

    public static TensorDataset Load(string imagesPath, string labelsPath)
    {
        var (images, count, rows, columns) = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new InvalidDataException($"{imagesPath} holds {count} images but {labelsPath} holds {labels.Length} labels.");
        using var scope = NewDisposeScope();
        return new TensorDataset(
            tensor(images, [count, 1, rows, columns], ScalarType.Byte),
            tensor(labels, ScalarType.Int64),
            ClassNames);
    }

    private static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path)
    {
        var file = IdxFile.Read(path);
        file.RequireAtLeast(16, "the image header");
        file.RequireMagic(ImagesMagic, "images");
        var count = file.Dimension(4, "image count");
        var rows = file.Dimension(8, "row count");
        var columns = file.Dimension(12, "column count");
        file.RequireExactly(16 + (long)count * rows * columns, $"{count} images of {rows}x{columns}");
        return (file.Bytes[16..], count, rows, columns);
    }

    private static long[] ReadLabels(string path)
    {
        var file = IdxFile.Read(path);
        file.RequireAtLeast(8, "the label header");
        file.RequireMagic(LabelsMagic, "labels");
        var count = file.Dimension(4, "label count");
        file.RequireExactly(8 + (long)count, $"{count} labels");
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            var label = file.Bytes[8 + i];
            if (label > 9) throw new InvalidDataException($"{path}: label {i} is {label}; MNIST labels are 0..9.");
            labels[i] = label;
        }
        return labels;
    }

    private sealed record IdxFile(string Path, byte[] Bytes, bool Compressed)
    {
        public static IdxFile Read(string path)
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return new IdxFile(path, bytes, false);
            try
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var output = new MemoryStream();
                gzip.CopyTo(output);
                return new IdxFile(path, output.ToArray(), true);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path} starts like gzip but does not decompress: {e.Message}", e);
            }
        }

        private string Size => $"{Bytes.Length} bytes{(Compressed ? " decompressed" : "")}";

        public void RequireAtLeast(long expected, string what)
        {
            if (Bytes.Length < expected)
                throw new InvalidDataException($"{Path} is truncated: {what} needs {expected} bytes, the file has {Size}.");
        }

        public void RequireExactly(long expected, string what)
        {
            if (Bytes.Length < expected)
                throw new InvalidDataException($"{Path} is truncated: its header declares {what}, {expected} bytes, but the file has {Size}.");
            if (Bytes.Length > expected)
                throw new InvalidDataException($"{Path} has {Bytes.Length - expected} bytes beyond the {what} its header declares ({expected} bytes expected, {Size}).");
        }

        public void RequireMagic(int expected, string what)
        {
            var actual = BinaryPrimitives.ReadInt32BigEndian(Bytes);
            if (actual != expected)
                throw new InvalidDataException($"{Path} has magic number {actual} (0x{actual:x8}); expected {expected} for IDX {what}.");
        }

        public int Dimension(int offset, string what)
        {
            var value = BinaryPrimitives.ReadInt32BigEndian(Bytes.AsSpan(offset));
            if (value < 0) throw new InvalidDataException($"{Path} gives a negative {what} ({value}).");
            return value;
        }
    }
}
