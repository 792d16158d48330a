namespace ClusterTrain.GpuNode.Data;

/// <summary>What an MD5 is taken over: the downloaded bytes, or the content of a gzip file once decompressed.</summary>
public enum ChecksumScope { File, GzipContent }

/// <summary>
/// One file of a dataset download, tried at each URL in turn.
/// </summary>
/// <param name="FileName">Name it is saved under in the dataset folder.</param>
/// <param name="Md5">Expected MD5, hexadecimal, of the file or (GzipContent) of its decompressed content.</param>
/// <param name="ExtractedFiles">When set, the file is a .tar.gz: its regular files are extracted flattened
/// (directories dropped) into the folder, these are required among them, and the archive is not kept.</param>
public sealed record DownloadItem(
    string FileName,
    IReadOnlyList<string> Urls,
    string Md5,
    ChecksumScope Checksum = ChecksumScope.File,
    IReadOnlyList<string>? ExtractedFiles = null)
{
    /// <summary>
    /// Whether the folder already has what this item provides: every extracted file for an archive; else
    /// the file, or for a gzip-content item its decompressed twin (name without .gz), which loaders accept too.
    /// </summary>
    public bool IsPresentIn(string folder)
    {
        if (ExtractedFiles is not null) return ExtractedFiles.All(f => File.Exists(Path.Combine(folder, f)));
        var path = Path.Combine(folder, FileName);
        return File.Exists(path) || (Checksum == ChecksumScope.GzipContent && path.EndsWith(".gz") && File.Exists(path[..^3]));
    }
}

/// <summary>
/// The files of a dataset and where to fetch them. The sources are the canonical ones unless a mirror is
/// given, as an argument or in the environment variable CLUSTERTRAIN_DATA_MIRROR: a base URL under which
/// files sit as mirror/cifar10/cifar-10-binary.tar.gz and mirror/mnist/&lt;name&gt;.gz (the layout of
/// ../shared/data, so a local copy can be served as is).
/// </summary>
public sealed record DownloadManifest(string Dataset, IReadOnlyList<DownloadItem> Items)
{
    public const string MirrorVariable = "CLUSTERTRAIN_DATA_MIRROR";
    public const string Cifar10Archive = "cifar-10-binary.tar.gz";
    public const string Cifar10Url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    public const string Cifar10Md5 = "c32a1d4ab5d03f1284b67883e8d87530";

    public static IReadOnlyList<string> MnistMirrors { get; } =
    [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ];

    /// <summary>
    /// MD5s of the decompressed MNIST files, the canonical values download scripts check (the .gz wrappers
    /// differ between mirrors; their content does not).
    /// </summary>
    public static IReadOnlyDictionary<string, string> MnistContentMd5 { get; } = new Dictionary<string, string>
    {
        [MnistIdx.TrainImages] = "6bbc9ace898e44ae57da46a324031adb",
        [MnistIdx.TrainLabels] = "a25bea736e30d166cdddb491f175f624",
        [MnistIdx.TestImages] = "2646ac647ad5339dbf082846283269ea",
        [MnistIdx.TestLabels] = "27ae3e4e09519cfbb04c329615203637",
    };

    public static DownloadManifest Cifar10(string? mirror = null)
    {
        var url = ResolveMirror(mirror) is { } m ? Join(m, "cifar10/" + Cifar10Archive) : Cifar10Url;
        return new DownloadManifest("CIFAR-10", [
            new DownloadItem(Cifar10Archive, [url], Cifar10Md5,
                ExtractedFiles: [.. Cifar10Binary.TrainFiles, Cifar10Binary.TestFile, Cifar10Binary.MetaFile])]);
    }

    public static DownloadManifest Mnist(string? mirror = null)
    {
        var bases = ResolveMirror(mirror) is { } m ? [Join(m, "mnist/")] : MnistMirrors;
        return new DownloadManifest("MNIST", [.. MnistContentMd5.Select(kv =>
            new DownloadItem(kv.Key + ".gz", [.. bases.Select(b => b + kv.Key + ".gz")], kv.Value, ChecksumScope.GzipContent))]);
    }

    private static string? ResolveMirror(string? mirror)
    {
        var value = mirror ?? Environment.GetEnvironmentVariable(MirrorVariable);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    private static string Join(string baseUrl, string relative) => baseUrl.TrimEnd('/') + "/" + relative;
}
