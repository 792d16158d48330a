using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ClusterTrain.GpuNode.Data;

/// <summary>Bytes of one URL received so far; TotalBytes when the server sent a length.</summary>
public sealed record DownloadProgress(string Url, long BytesReceived, long? TotalBytes);

/// <summary>
/// Fetches a <see cref="DownloadManifest"/> into a folder. Each file goes to a temporary name beside its
/// destination, is checked against its MD5, and only then renamed into place (atomic on one file
/// system), so an interrupted or corrupt download never leaves a file a loader would read. Items already
/// present are skipped without re-checking. A failing URL (HTTP error, checksum mismatch) moves on to the
/// item's next URL; when all fail the error lists each URL and why.
/// </summary>
public sealed class DatasetDownloader(HttpClient? client = null, IProgress<DownloadProgress>? progress = null)
{
    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(30) });
    private readonly HttpClient _client = client ?? SharedClient.Value;

    public async Task EnsureAsync(DownloadManifest manifest, string folder, CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(folder);
        foreach (var item in manifest.Items.Where(i => !i.IsPresentIn(folder)))
            await DownloadItemAsync(manifest.Dataset, item, folder, cancellation);
    }

    private async Task DownloadItemAsync(string dataset, DownloadItem item, string folder, CancellationToken cancellation)
    {
        var failures = new List<string>();
        foreach (var url in item.Urls)
        {
            var temporary = Path.Combine(folder, $".{item.FileName}.{Guid.NewGuid():N}.partial");
            try
            {
                await FetchAsync(url, temporary, cancellation);
                var actual = Md5Of(temporary, item.Checksum);
                if (!string.Equals(actual, item.Md5, StringComparison.OrdinalIgnoreCase))
                {
                    failures.Add($"{url}: checksum mismatch, expected MD5 {item.Md5.ToLowerInvariant()}{(item.Checksum == ChecksumScope.GzipContent ? " of the decompressed content" : "")}, got {actual}");
                    continue;
                }
                if (item.ExtractedFiles is null) File.Move(temporary, Path.Combine(folder, item.FileName), overwrite: true);
                else ExtractTarGz(temporary, url, item.ExtractedFiles, folder);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or TaskCanceledException && !cancellation.IsCancellationRequested)
            {
                failures.Add($"{url}: {e.Message}");
            }
            finally
            {
                File.Delete(temporary);
            }
        }
        throw new IOException($"Could not download {item.FileName} of {dataset} into {folder}:{Environment.NewLine}  " +
            string.Join(Environment.NewLine + "  ", failures));
    }

    private async Task FetchAsync(string url, string destination, CancellationToken cancellation)
    {
        using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellation);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        var total = response.Content.Headers.ContentLength;
        await using var source = await response.Content.ReadAsStreamAsync(cancellation);
        await using var target = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        long received = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellation)) > 0)
        {
            await target.WriteAsync(buffer.AsMemory(0, read), cancellation);
            received += read;
            progress?.Report(new DownloadProgress(url, received, total));
        }
        if (total is { } expected && received != expected)
            throw new IOException($"the connection closed after {received} of {expected} bytes");
    }

    private static string Md5Of(string path, ChecksumScope scope)
    {
        using var file = File.OpenRead(path);
        if (scope == ChecksumScope.File) return Convert.ToHexStringLower(MD5.HashData(file));
        try
        {
            using var content = new GZipStream(file, CompressionMode.Decompress);
            return Convert.ToHexStringLower(MD5.HashData(content));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"the response is not valid gzip ({e.Message})", e);
        }
    }

    /// <summary>Extracts the archive's regular files, flattened, each through a temporary name.</summary>
    private static void ExtractTarGz(string archive, string url, IReadOnlyList<string> required, string folder)
    {
        var written = new List<string>();
        using (var file = File.OpenRead(archive))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                // Only the final name is used, which also keeps "../" entries from escaping the folder.
                var name = Path.GetFileName(entry.Name);
                if (name.Length == 0) continue;
                var temporary = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.partial");
                try
                {
                    using (var output = File.Create(temporary)) entry.DataStream.CopyTo(output);
                    File.Move(temporary, Path.Combine(folder, name), overwrite: true);
                }
                finally
                {
                    File.Delete(temporary);
                }
                written.Add(name);
            }
        }
        var missing = required.Where(r => !written.Contains(r)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"the archive from {url} lacks {string.Join(", ", missing)}");
    }
}
