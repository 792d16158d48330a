using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using ClusterTrain.GpuNode.Data;
using ClusterTrain.Tests.Common;

namespace ClusterTrain.GpuNode.Tests.Data;

public class DatasetDownloaderTests
{
    private static DownloadManifest MnistTestSet(string mirror) =>
        DownloadManifest.Mnist(mirror) is var m ? m with { Items = [.. m.Items.Where(i => i.FileName.StartsWith("t10k"))] } : null!;

    private static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(content);
        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] compressed)
    {
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    [SkippableFact]
    public async Task Mnist_test_files_served_on_loopback_download_verify_and_load()
    {
        var root = Path.GetDirectoryName(Path.GetDirectoryName(SharedData.Require("mnist/t10k-images-idx3-ubyte.gz")))!;
        using var server = LoopbackHttpServer.ForFolder(root);
        using var client = LoopbackHttpServer.Client();
        using var folder = new TempFolder();
        var reports = new List<DownloadProgress>();

        await new DatasetDownloader(client, new SynchronousProgress(reports.Add)).EnsureAsync(MnistTestSet(server.BaseUrl), folder.Path);

        Assert.Equal(["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"], folder.Entries().Select(Path.GetFileName).Order());
        using var test = MnistIdx.LoadTest(folder.Path);
        Assert.Equal(10000, test.Count);
        var imagesUrl = server.BaseUrl + "mnist/t10k-images-idx3-ubyte.gz";
        Assert.Equal(new FileInfo(Path.Combine(root, "mnist/t10k-images-idx3-ubyte.gz")).Length,
            reports.Last(r => r.Url == imagesUrl).BytesReceived);
    }

    [SkippableFact]
    public async Task Present_files_are_not_downloaded_again()
    {
        var shared = Path.GetDirectoryName(SharedData.Require("mnist/t10k-images-idx3-ubyte.gz"))!;
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("t10k-images-idx3-ubyte"), Gunzip(File.ReadAllBytes(Path.Combine(shared, "t10k-images-idx3-ubyte.gz"))));
        File.Copy(Path.Combine(shared, "t10k-labels-idx1-ubyte.gz"), folder.File("t10k-labels-idx1-ubyte.gz"));
        using var server = new LoopbackHttpServer(_ => null);
        using var client = LoopbackHttpServer.Client();

        await new DatasetDownloader(client).EnsureAsync(MnistTestSet(server.BaseUrl), folder.Path);

        Assert.Equal(0, server.Requests);
    }

    [SkippableFact]
    public async Task Content_with_the_wrong_checksum_fails_naming_url_and_both_hashes_and_leaves_nothing()
    {
        var shared = SharedData.Require("mnist/t10k-labels-idx1-ubyte.gz");
        var content = Gunzip(File.ReadAllBytes(shared));
        content[^1] ^= 1;
        var corrupted = Gzip(content);
        using var server = new LoopbackHttpServer(path => path.EndsWith("t10k-labels-idx1-ubyte.gz") ? corrupted : null);
        using var client = LoopbackHttpServer.Client();
        using var folder = new TempFolder();
        var manifest = MnistTestSet(server.BaseUrl) is var m ? m with { Items = [m.Items.Single(i => i.FileName.StartsWith("t10k-labels"))] } : null!;

        var error = await Assert.ThrowsAsync<IOException>(() => new DatasetDownloader(client).EnsureAsync(manifest, folder.Path));

        Assert.Contains(server.BaseUrl + "mnist/t10k-labels-idx1-ubyte.gz", error.Message);
        Assert.Contains("27ae3e4e09519cfbb04c329615203637", error.Message);
        Assert.Contains(Convert.ToHexStringLower(MD5.HashData(content)), error.Message);
        Assert.Empty(folder.Entries());
    }

    [Fact]
    public async Task A_response_that_is_not_gzip_fails_and_leaves_nothing()
    {
        using var server = new LoopbackHttpServer(_ => "<html>mirror moved</html>"u8.ToArray());
        using var client = LoopbackHttpServer.Client();
        using var folder = new TempFolder();

        var error = await Assert.ThrowsAsync<IOException>(() => new DatasetDownloader(client).EnsureAsync(MnistTestSet(server.BaseUrl), folder.Path));

        Assert.Contains("not valid gzip", error.Message);
        Assert.Empty(folder.Entries());
    }

    [Fact]
    public async Task A_missing_file_names_each_url_and_the_status()
    {
        using var server = new LoopbackHttpServer(_ => null);
        using var client = LoopbackHttpServer.Client();
        using var folder = new TempFolder();
        var manifest = new DownloadManifest("Test", [new DownloadItem("a.bin", [server.BaseUrl + "one/a.bin", server.BaseUrl + "two/a.bin"], "00")]);

        var error = await Assert.ThrowsAsync<IOException>(() => new DatasetDownloader(client).EnsureAsync(manifest, folder.Path));

        Assert.Contains(server.BaseUrl + "one/a.bin: HTTP 404", error.Message);
        Assert.Contains(server.BaseUrl + "two/a.bin: HTTP 404", error.Message);
        Assert.Equal(2, server.Requests);
        Assert.Empty(folder.Entries());
    }

    [Fact]
    public async Task A_failing_mirror_falls_through_to_the_next()
    {
        var payload = "payload"u8.ToArray();
        using var server = new LoopbackHttpServer(path => path.StartsWith("/good/") ? payload : null);
        using var client = LoopbackHttpServer.Client();
        using var folder = new TempFolder();
        var manifest = new DownloadManifest("Test", [new DownloadItem("a.bin",
            [server.BaseUrl + "bad/a.bin", server.BaseUrl + "good/a.bin"], Convert.ToHexString(MD5.HashData(payload)))]);

        await new DatasetDownloader(client).EnsureAsync(manifest, folder.Path);

        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(folder.Path, "a.bin")));
        Assert.Single(folder.Entries());
    }

    [SkippableFact]
    public async Task A_cifar_archive_is_verified_then_extracted_flat_without_keeping_it()
    {
        var shared = Path.GetDirectoryName(SharedData.Require("cifar10/data_batch_1.bin"))!;
        // A small archive in the layout of cifar-10-binary.tar.gz, from the first 100 records of each file.
        using var tarball = new MemoryStream();
        using (var gzip = new GZipStream(tarball, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
        {
            foreach (var (name, bytes) in new[] { "data_batch_1.bin", "test_batch.bin" }
                         .Select(f => (f, File.ReadAllBytes(Path.Combine(shared, f))[..(100 * Cifar10Binary.RecordBytes)]))
                         .Append(("batches.meta.txt", File.ReadAllBytes(Path.Combine(shared, "batches.meta.txt")))))
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "cifar-10-batches-bin/" + name) { DataStream = new MemoryStream(bytes) });
        }
        var archive = tarball.ToArray();
        using var server = new LoopbackHttpServer(path => path == "/cifar10/cifar-10-binary.tar.gz" ? archive : null);
        using var client = LoopbackHttpServer.Client();
        using var folder = new TempFolder();
        var manifest = DownloadManifest.Cifar10(server.BaseUrl) is var m
            ? m with { Items = [m.Items[0] with { Md5 = Convert.ToHexStringLower(MD5.HashData(archive)), ExtractedFiles = ["data_batch_1.bin", "test_batch.bin"] }] }
            : null!;

        await new DatasetDownloader(client).EnsureAsync(manifest, folder.Path);

        Assert.Equal(["batches.meta.txt", "data_batch_1.bin", "test_batch.bin"], folder.Entries().Select(Path.GetFileName).Order());
        using var train = Cifar10Binary.LoadTrain(folder.Path);
        Assert.Equal(100, train.Count);
        Assert.Equal("truck", train.ClassNames[9]);
    }

    [Fact]
    public async Task A_cifar_archive_with_the_wrong_checksum_is_not_extracted()
    {
        var archive = Gzip(new byte[1024]);
        using var server = new LoopbackHttpServer(_ => archive);
        using var client = LoopbackHttpServer.Client();
        using var folder = new TempFolder();

        var error = await Assert.ThrowsAsync<IOException>(() => new DatasetDownloader(client).EnsureAsync(DownloadManifest.Cifar10(server.BaseUrl), folder.Path));

        Assert.Contains(DownloadManifest.Cifar10Md5, error.Message);
        Assert.Contains(Convert.ToHexStringLower(MD5.HashData(archive)), error.Message);
        Assert.Empty(folder.Entries());
    }

    [Fact]
    public void Manifests_point_at_the_canonical_sources_or_the_mirror_layout()
    {
        Assert.Equal([DownloadManifest.Cifar10Url], DownloadManifest.Cifar10("").Items.Single().Urls);
        Assert.Equal(["http://m.example/data/cifar10/cifar-10-binary.tar.gz"], DownloadManifest.Cifar10("http://m.example/data/").Items.Single().Urls);
        var mnist = DownloadManifest.Mnist("http://m.example/data");
        Assert.Equal(4, mnist.Items.Count);
        Assert.Contains(mnist.Items, i => i.Urls.SequenceEqual(["http://m.example/data/mnist/train-images-idx3-ubyte.gz"])
                                          && i.Md5 == "6bbc9ace898e44ae57da46a324031adb" && i.Checksum == ChecksumScope.GzipContent);
        Assert.All(DownloadManifest.Mnist("").Items, i => Assert.Equal(DownloadManifest.MnistMirrors.Count, i.Urls.Count));
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; this records reports in order, at once.</summary>
    private sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
