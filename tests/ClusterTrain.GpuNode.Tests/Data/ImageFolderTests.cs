using TorchSharp;
using ClusterTrain.GpuNode.Data;
using ClusterTrain.Tests.Common;
using SkiaSharp;

namespace ClusterTrain.GpuNode.Tests.Data;

public class ImageFolderTests
{
    private static void WriteImage(string path, int width, int height, SKColor colour)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(colour);
        var format = Path.GetExtension(path) == ".png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    [SkippableFact]
    public void The_shared_image_folder_has_100_training_and_20_test_images_per_class()
    {
        var root = SharedData.Require("cifar10-images");

        var (train, test) = ImageFolder.Load(root);
        using (train)
        using (test)
        {
            Assert.Equal([1000L, 3, 32, 32], train.Images.shape);
            Assert.Equal([200L, 3, 32, 32], test.Images.shape);
            Assert.Equal(Cifar10Binary.DefaultClassNames, train.ClassNames);
            Assert.All(train.ClassCounts(), c => Assert.Equal(100, c));
            Assert.All(test.ClassCounts(), c => Assert.Equal(20, c));
            // Round-robin order: the first ten samples are one of each class.
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), train.Labels[..10].data<long>().ToArray());
        }
    }

    [Fact]
    public void Pixels_come_out_as_rgb_planes_resized_to_the_first_training_image()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("train/a/1.png"), 6, 4, new SKColor(10, 20, 30));
        WriteImage(folder.File("train/b/1.png"), 12, 8, new SKColor(200, 100, 50));
        WriteImage(folder.File("val/b/1.png"), 3, 2, new SKColor(1, 2, 3));

        var (train, test) = ImageFolder.Load(folder.Path);
        using (train)
        using (test)
        {
            Assert.Equal([2L, 3, 4, 6], train.Images.shape);
            Assert.Equal([1L, 3, 4, 6], test.Images.shape);
            Assert.Equal(["a", "b"], train.ClassNames);
            Assert.Equal([10, 20, 30], train.Images[0, .., 2, 3].data<byte>().ToArray());
            Assert.Equal([200, 100, 50], train.Images[1, .., 2, 3].data<byte>().ToArray());
            Assert.Equal([1L], test.Labels.data<long>().ToArray());
            Assert.Equal([1, 2, 3], test.Images[0, .., 0, 0].data<byte>().ToArray());
        }
    }

    [Fact]
    public void A_root_without_class_folders_is_named()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "train"));
        Directory.CreateDirectory(Path.Combine(folder.Path, "test"));

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Path));

        Assert.Contains(Path.Combine(folder.Path, "train"), error.Message);
        Assert.Contains("no class sub-folders", error.Message);
    }

    [Fact]
    public void An_empty_folder_is_named()
    {
        using var folder = new TempFolder();

        var error = Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load(folder.Path));

        Assert.Contains(folder.Path, error.Message);
        Assert.Contains("train", error.Message);
    }

    [Fact]
    public void A_class_folder_without_images_is_named()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("train/cat/1.jpg"), 4, 4, SKColors.Gray);
        File.WriteAllText(folder.File("train/dog/notes.txt"), "not an image");
        WriteImage(folder.File("test/cat/1.jpg"), 4, 4, SKColors.Gray);

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Path));

        Assert.Contains(Path.Combine(folder.Path, "train", "dog"), error.Message);
        Assert.Contains("no images", error.Message);
    }

    [Fact]
    public void A_corrupt_jpeg_is_named()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("train/cat/1.jpg"), 8, 8, SKColors.Gray);
        var corrupt = folder.File("train/cat/2.jpg");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(folder.File("train/cat/1.jpg"))[..200]);
        WriteImage(folder.File("test/cat/1.jpg"), 8, 8, SKColors.Gray);

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Path));

        Assert.Contains(corrupt, error.Message);
    }

    [Fact]
    public void A_file_that_is_not_an_image_at_all_is_named()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("train/cat/1.jpg"), 8, 8, SKColors.Gray);
        var garbage = folder.File("test/cat/1.png");
        File.WriteAllText(garbage, "plain text with an image's name");

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Path));

        Assert.Contains(garbage, error.Message);
        Assert.Contains("not a readable image", error.Message);
    }

    [Fact]
    public void A_test_class_unknown_to_training_is_named()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("train/cat/1.jpg"), 4, 4, SKColors.Gray);
        WriteImage(folder.File("test/cow/1.jpg"), 4, 4, SKColors.Gray);

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Path));

        Assert.Contains(Path.Combine(folder.Path, "test", "cow"), error.Message);
    }

    [Fact]
    public void A_root_without_test_or_val_is_named()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("train/cat/1.jpg"), 4, 4, SKColors.Gray);

        var error = Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load(folder.Path));

        Assert.Contains(folder.Path, error.Message);
        Assert.Contains("neither a test/ nor a val/", error.Message);
    }

    [Fact]
    public void Hidden_folders_are_not_classes()
    {
        using var folder = new TempFolder();
        WriteImage(folder.File("train/cat/1.jpg"), 4, 4, SKColors.Gray);
        WriteImage(folder.File("train/.ipynb_checkpoints/1.jpg"), 4, 4, SKColors.Gray);
        WriteImage(folder.File("test/cat/1.jpg"), 4, 4, SKColors.Gray);

        var (train, test) = ImageFolder.Load(folder.Path);
        using (train)
        using (test)
            Assert.Equal(["cat"], train.ClassNames);
    }
}
