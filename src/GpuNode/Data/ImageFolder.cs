using SkiaSharp;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Data;

/// <summary>
/// Reads the folder-per-class layout users keep their own images in: root/train/&lt;class&gt;/*.jpg|jpeg|png
/// and root/test/&lt;class&gt;/... (root/val/&lt;class&gt;/... is accepted in place of test). Classes are the
/// train sub-folders in ordinal name order, as torchvision's ImageFolder numbers them; test folders must
/// name train classes. Images are decoded with SkiaSharp to 3-channel RGB (alpha dropped, grey replicated).
/// </summary>
/// <remarks>
/// Every image is resized (bilinear with mipmaps) to the size of the first training image (first class,
/// first file), so a folder of mixed sizes still makes one [N, 3, H, W] tensor; keep the images one size
/// to avoid resampling. Samples are stored round-robin across classes (one of each class in turn), so a
/// TrainLimit or TestLimit taking the first N stays class-balanced rather than keeping the first classes.
/// </remarks>
public static class ImageFolder
{
    public static IReadOnlyList<string> Extensions { get; } = [".jpg", ".jpeg", ".png"];

    public static (TensorDataset Train, TensorDataset Test) Load(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"The image folder {root} does not exist.");
        var trainFolder = Path.Combine(root, "train");
        if (!Directory.Exists(trainFolder))
            throw new DirectoryNotFoundException($"The image folder {root} has no train/ sub-folder (expected {root}/train/<class>/*.jpg).");
        var testFolder = new[] { "test", "val" }.Select(f => Path.Combine(root, f)).FirstOrDefault(Directory.Exists)
            ?? throw new DirectoryNotFoundException($"The image folder {root} has neither a test/ nor a val/ sub-folder.");

        var trainFiles = ListClasses(trainFolder);
        var classNames = trainFiles.Keys.ToList();
        var testFiles = ListClasses(testFolder);
        foreach (var name in testFiles.Keys.Where(n => !trainFiles.ContainsKey(n)))
            throw new InvalidDataException($"{Path.Combine(testFolder, name)} is a class that {trainFolder} does not have.");

        var (width, height) = ImageSize(trainFiles[classNames[0]][0]);
        var train = Decode(RoundRobin(classNames, trainFiles), classNames, width, height);
        try
        {
            return (train, Decode(RoundRobin(classNames, testFiles), classNames, width, height));
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    private static SortedDictionary<string, string[]> ListClasses(string folder)
    {
        var classes = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        // Hidden folders (.ipynb_checkpoints, .git) are tooling, not classes.
        foreach (var classFolder in Directory.GetDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            var images = Directory.GetFiles(classFolder)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (images.Length == 0)
                throw new InvalidDataException($"The class folder {classFolder} has no images ({string.Join(", ", Extensions)}).");
            classes.Add(Path.GetFileName(classFolder), images);
        }
        if (classes.Count == 0)
            throw new InvalidDataException($"{folder} has no class sub-folders (expected {folder}/<class>/*.jpg).");
        return classes;
    }

    private static List<(string File, long Label)> RoundRobin(List<string> classNames, SortedDictionary<string, string[]> files)
    {
        var samples = new List<(string, long)>();
        var longest = files.Values.Max(f => f.Length);
        for (var round = 0; round < longest; round++)
            for (var label = 0; label < classNames.Count; label++)
                if (files.TryGetValue(classNames[label], out var list) && round < list.Length)
                    samples.Add((list[round], label));
        return samples;
    }

    private static (int Width, int Height) ImageSize(string path)
    {
        using var codec = Open(path);
        return (codec.Info.Width, codec.Info.Height);
    }

    private static SKCodec Open(string path)
    {
        var codec = SKCodec.Create(path, out var result);
        return codec ?? throw new InvalidDataException($"{path} is not a readable image ({result}).");
    }

    private static TensorDataset Decode(List<(string File, long Label)> samples, IReadOnlyList<string> classNames, int width, int height)
    {
        var target = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if ((long)samples.Count * target.BytesSize > Array.MaxLength)
            throw new InvalidDataException(
                $"{samples.Count} images of {width}x{height} are more than one in-memory tensor can hold; use smaller or fewer images.");
        var rgba = new byte[(long)samples.Count * target.BytesSize];
        for (var i = 0; i < samples.Count; i++)
        {
            using var bitmap = DecodeOne(samples[i].File, target);
            bitmap.GetPixelSpan().CopyTo(rgba.AsSpan(i * target.BytesSize, target.BytesSize));
        }
        using var scope = NewDisposeScope();
        var images = tensor(rgba, [samples.Count, height, width, 4], ScalarType.Byte)
            .narrow(3, 0, 3).permute(0, 3, 1, 2).contiguous();
        var labels = tensor(samples.Select(s => s.Label).ToArray(), ScalarType.Int64);
        return new TensorDataset(images, labels, classNames);
    }

    private static SKBitmap DecodeOne(string path, SKImageInfo target)
    {
        using var codec = Open(path);
        var native = target.WithSize(codec.Info.Width, codec.Info.Height);
        var bitmap = new SKBitmap(native);
        var result = codec.GetPixels(native, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new InvalidDataException($"{path} could not be decoded ({result}): the image is corrupt or truncated.");
        }
        if (native.Width == target.Width && native.Height == target.Height) return bitmap;
        using (bitmap)
            // Bilinear with the nearest mipmap level: what SkiaSharp 2's FilterQuality.Medium meant.
            return bitmap.Resize(target, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Nearest))
                ?? throw new InvalidDataException($"{path} could not be resized from {native.Width}x{native.Height} to {target.Width}x{target.Height}.");
    }
}
