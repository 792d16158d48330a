using TorchSharp;
using System.Buffers.Binary;
using System.IO.Compression;
using ClusterTrain.GpuNode.Data;
using ClusterTrain.Tests.Common;

namespace ClusterTrain.GpuNode.Tests.Data;

public class MnistIdxTests
{
    private static byte[] Idx(int magic, int[] dimensions, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (var i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dimensions[i]);
        payload.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    private static void WriteTestSet(TempFolder folder, byte[] images, byte[] labels)
    {
        File.WriteAllBytes(folder.File(MnistIdx.TestImages), images);
        File.WriteAllBytes(folder.File(MnistIdx.TestLabels), labels);
    }

    private static byte[] Gunzip(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    [SkippableFact]
    public void The_t10k_set_loads_10000_images_with_the_known_label_counts()
    {
        var folder = Path.GetDirectoryName(SharedData.Require("mnist/t10k-images-idx3-ubyte.gz"))!;

        using var test = MnistIdx.LoadTest(folder);

        Assert.Equal([10000L, 1, 28, 28], test.Images.shape);
        Assert.Equal([980L, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], test.ClassCounts());
    }

    [SkippableFact]
    public void Uncompressed_files_are_recognised_by_their_bytes_and_load_the_same()
    {
        var shared = Path.GetDirectoryName(SharedData.Require("mnist/t10k-images-idx3-ubyte.gz"))!;
        using var folder = new TempFolder();
        WriteTestSet(folder, Gunzip(Path.Combine(shared, MnistIdx.TestImages + ".gz")), Gunzip(Path.Combine(shared, MnistIdx.TestLabels + ".gz")));

        using var raw = MnistIdx.LoadTest(folder.Path);
        using var compressed = MnistIdx.LoadTest(shared);

        Assert.True(TensorAssert.Same(raw.Images, compressed.Images));
        Assert.True(TensorAssert.Same(raw.Labels, compressed.Labels));
    }

    [SkippableFact]
    public void Training_without_the_train_files_says_that_only_the_test_set_is_there()
    {
        var folder = Path.GetDirectoryName(SharedData.Require("mnist/t10k-images-idx3-ubyte.gz"))!;

        var error = Assert.Throws<FileNotFoundException>(() => MnistIdx.LoadTrain(folder));

        Assert.Contains(MnistIdx.TrainImages, error.Message);
        Assert.Contains(folder, error.Message);
        Assert.Contains("only the t10k test set", error.Message);
    }

    [SkippableFact]
    public void A_truncated_gzip_file_is_reported_by_name()
    {
        var shared = SharedData.Require("mnist/t10k-images-idx3-ubyte.gz");
        using var folder = new TempFolder();
        var gz = File.ReadAllBytes(shared);
        var path = folder.File(MnistIdx.TestImages + ".gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        File.Copy(Path.Combine(Path.GetDirectoryName(shared)!, MnistIdx.TestLabels + ".gz"), folder.File(MnistIdx.TestLabels + ".gz"));

        var error = Assert.Throws<InvalidDataException>(() => MnistIdx.LoadTest(folder.Path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Small_idx_files_load_pixels_and_labels_in_order()
    {
        using var folder = new TempFolder();
        WriteTestSet(folder, Idx(2051, [2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), Idx(2049, [2], [4, 9]));

        using var test = MnistIdx.LoadTest(folder.Path);

        Assert.Equal([2L, 1, 2, 3], test.Images.shape);
        Assert.Equal(12, test.Images[1, 0, 1, 2].ToByte());
        Assert.Equal([4L, 9], test.Labels.data<long>().ToArray());
    }

    [Fact]
    public void A_wrong_magic_number_names_the_file_and_both_numbers()
    {
        using var folder = new TempFolder();
        WriteTestSet(folder, Idx(2049, [1, 2, 2], [0, 0, 0, 0]), Idx(2049, [1], [0]));

        var error = Assert.Throws<InvalidDataException>(() => MnistIdx.LoadTest(folder.Path));

        Assert.Contains(Path.Combine(folder.Path, MnistIdx.TestImages), error.Message);
        Assert.Contains("magic number 2049", error.Message);
        Assert.Contains("expected 2051", error.Message);
    }

    [Fact]
    public void A_truncated_idx_file_names_the_file_with_expected_and_actual_bytes()
    {
        using var folder = new TempFolder();
        WriteTestSet(folder, Idx(2051, [3, 28, 28], new byte[2 * 784]), Idx(2049, [3], [0, 1, 2]));

        var error = Assert.Throws<InvalidDataException>(() => MnistIdx.LoadTest(folder.Path));

        Assert.Contains(Path.Combine(folder.Path, MnistIdx.TestImages), error.Message);
        Assert.Contains("truncated", error.Message);
        Assert.Contains($"{16 + 3 * 784} bytes", error.Message);
        Assert.Contains($"{16 + 2 * 784} bytes", error.Message);
    }

    [Fact]
    public void A_label_above_9_is_reported_with_file_index_and_value()
    {
        using var folder = new TempFolder();
        WriteTestSet(folder, Idx(2051, [2, 1, 1], [0, 0]), Idx(2049, [2], [3, 11]));

        var error = Assert.Throws<InvalidDataException>(() => MnistIdx.LoadTest(folder.Path));

        Assert.Contains(Path.Combine(folder.Path, MnistIdx.TestLabels), error.Message);
        Assert.Contains("label 1 is 11", error.Message);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        using var folder = new TempFolder();
        WriteTestSet(folder, Idx(2051, [2, 1, 1], [0, 0]), Idx(2049, [3], [0, 1, 2]));

        var error = Assert.Throws<InvalidDataException>(() => MnistIdx.LoadTest(folder.Path));

        Assert.Contains("2 images", error.Message);
        Assert.Contains("3 labels", error.Message);
    }

    [Fact]
    public void Bytes_beyond_what_the_header_declares_are_reported()
    {
        using var folder = new TempFolder();
        WriteTestSet(folder, Idx(2051, [1, 2, 2], [0, 0, 0, 0]), Idx(2049, [1], [5, 6, 7]));

        var error = Assert.Throws<InvalidDataException>(() => MnistIdx.LoadTest(folder.Path));

        Assert.Contains(Path.Combine(folder.Path, MnistIdx.TestLabels), error.Message);
        Assert.Contains("2 bytes beyond the 1 labels", error.Message);
    }

    [Fact]
    public void A_negative_dimension_is_reported()
    {
        using var folder = new TempFolder();
        WriteTestSet(folder, Idx(2051, [1, -28, 28], []), Idx(2049, [1], [0]));

        var error = Assert.Throws<InvalidDataException>(() => MnistIdx.LoadTest(folder.Path));

        Assert.Contains("negative row count (-28)", error.Message);
    }
}
