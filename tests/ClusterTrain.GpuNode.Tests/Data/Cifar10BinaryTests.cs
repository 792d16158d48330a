using TorchSharp;
using ClusterTrain.GpuNode.Data;
using ClusterTrain.Tests.Common;

namespace ClusterTrain.GpuNode.Tests.Data;

public class Cifar10BinaryTests
{
    private static byte[] Records(params byte[] labels)
    {
        var bytes = new byte[labels.Length * Cifar10Binary.RecordBytes];
        for (var i = 0; i < labels.Length; i++)
        {
            bytes[i * Cifar10Binary.RecordBytes] = labels[i];
            bytes.AsSpan(i * Cifar10Binary.RecordBytes + 1, Cifar10Binary.RecordBytes - 1).Fill((byte)(10 * i + 1));
        }
        return bytes;
    }

    [SkippableFact]
    public void The_test_batch_holds_10000_labelled_3x32x32_images_with_the_meta_class_names()
    {
        var folder = Path.GetDirectoryName(SharedData.Require("cifar10/test_batch.bin"))!;

        using var test = Cifar10Binary.LoadTest(folder);

        Assert.Equal([10000L, 3, 32, 32], test.Images.shape);
        Assert.Equal(10, test.Classes);
        Assert.Equal(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"], test.ClassNames);
        Assert.All(test.ClassCounts(), count => Assert.Equal(1000, count));
    }

    [SkippableFact]
    public void The_training_file_has_the_canonical_channel_means()
    {
        var folder = Path.GetDirectoryName(SharedData.Require("cifar10/data_batch_1.bin"))!;

        using var train = Cifar10Binary.LoadTrain(folder);
        var (mean, std) = train.ChannelStatistics();

        Assert.Equal(10000, train.Count);
        Assert.Equal(0.4913, mean[0], 0.002);
        Assert.Equal(0.4821, mean[1], 0.002);
        Assert.Equal(0.4465, mean[2], 0.002);
        // The canonical stds are 0.247 0.243 0.261; this JPEG-derived copy is about 1% lower.
        Assert.Equal(0.247, std[0], 0.006);
        Assert.Equal(0.243, std[1], 0.006);
        Assert.Equal(0.261, std[2], 0.006);
    }

    [Fact]
    public void Records_are_split_into_a_label_and_red_green_blue_planes()
    {
        using var folder = new TempFolder();
        var bytes = Records(7, 3);
        // Record 1: red plane 1, green plane 2, blue plane 3, except the first pixel of each.
        var record = bytes.AsSpan(Cifar10Binary.RecordBytes, Cifar10Binary.RecordBytes);
        record.Slice(1, 1024).Fill(1);
        record.Slice(1 + 1024, 1024).Fill(2);
        record.Slice(1 + 2048, 1024).Fill(3);
        record[1 + 2048] = 200;
        File.WriteAllBytes(folder.File("test_batch.bin"), bytes);

        using var test = Cifar10Binary.LoadTest(folder.Path);

        Assert.Equal([7L, 3], test.Labels.data<long>().ToArray());
        Assert.Equal(2, test.Images[1, 1, 31, 31].ToByte());
        Assert.Equal(200, test.Images[1, 2, 0, 0].ToByte());
        Assert.Equal(3, test.Images[1, 2, 0, 1].ToByte());
        Assert.Equal(Cifar10Binary.DefaultClassNames, test.ClassNames);
    }

    [Fact]
    public void Every_present_training_batch_is_used_in_order()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("data_batch_1.bin"), Records(1, 2));
        File.WriteAllBytes(folder.File("data_batch_3.bin"), Records(3));

        using var train = Cifar10Binary.LoadTrain(folder.Path);

        Assert.Equal([1L, 2, 3], train.Labels.data<long>().ToArray());
    }

    [Fact]
    public void A_truncated_batch_file_is_reported_with_its_name_and_length()
    {
        using var folder = new TempFolder();
        var path = folder.File("data_batch_1.bin");
        File.WriteAllBytes(path, Records(1, 2)[..^100]);

        var error = Assert.Throws<InvalidDataException>(() => Cifar10Binary.LoadTrain(folder.Path));

        Assert.Contains(path, error.Message);
        Assert.Contains($"{2 * 3073 - 100} bytes", error.Message);
        Assert.Contains("3073-byte", error.Message);
    }

    [Fact]
    public void A_label_above_9_is_reported_with_file_record_and_value()
    {
        using var folder = new TempFolder();
        var path = folder.File("test_batch.bin");
        File.WriteAllBytes(path, Records(0, 9, 12));

        var error = Assert.Throws<InvalidDataException>(() => Cifar10Binary.LoadTest(folder.Path));

        Assert.Contains(path, error.Message);
        Assert.Contains("record 2", error.Message);
        Assert.Contains("label 12", error.Message);
    }

    [Fact]
    public void A_folder_without_training_batches_names_the_folder_and_the_expected_files()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("test_batch.bin"), Records(0));

        var error = Assert.Throws<FileNotFoundException>(() => Cifar10Binary.LoadTrain(folder.Path));

        Assert.Contains(folder.Path, error.Message);
        Assert.Contains("data_batch_1.bin", error.Message);
        Assert.Contains("data_batch_5.bin", error.Message);
    }

    [Fact]
    public void A_meta_file_without_ten_class_names_is_rejected_by_name()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("test_batch.bin"), Records(0));
        var meta = folder.File("batches.meta.txt");
        File.WriteAllLines(meta, ["cat", "dog", "bird"]);

        var error = Assert.Throws<InvalidDataException>(() => Cifar10Binary.LoadTest(folder.Path));

        Assert.Contains(meta, error.Message);
        Assert.Contains("3 class names", error.Message);
    }

    [Fact]
    public void An_empty_batch_file_is_reported_by_name()
    {
        using var folder = new TempFolder();
        var path = folder.File("test_batch.bin");
        File.WriteAllBytes(path, []);

        var error = Assert.Throws<InvalidDataException>(() => Cifar10Binary.LoadTest(folder.Path));

        Assert.Contains(path, error.Message);
        Assert.Contains("empty", error.Message);
    }
}
