using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClusterTrain.Shared;

namespace ClusterTrain.Coordinator.Api;

/// <summary>
/// The coordinator's gRPC API and dashboard. Bound from the configuration section "ClusterTrain:Api" and the
/// environment variables <c>CLUSTERTRAIN_API__*</c> (docs/configuration.md). Both ports live here because
/// deployment manifests name them together.
/// </summary>
public sealed class ApiOptions
{
    public const string Section = "ClusterTrain:Api";

    /// <summary>False: the coordinator serves neither the API nor the dashboard.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Address both endpoints bind to; 0.0.0.0 for every interface (containers).</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>
    /// gRPC port, HTTP/2: over TLS (ALPN h2) with <see cref="CertificateFile"/>, else cleartext (prior knowledge, as gRPC
    /// clients speak it). Without TLS, Kestrel serves HTTP/2 only on an endpoint set to HTTP/2 alone, so browsers get
    /// their own port: <see cref="HttpPort"/>. 0: a free one.
    /// </summary>
    public int Port { get; set; } = 5080;

    /// <summary>Dashboard port, HTTP/1.1 for browsers (HTTPS with <see cref="CertificateFile"/>). 0: a free one.</summary>
    public int HttpPort { get; set; } = 5081;

    /// <summary>The bearer token every call must carry; empty with no <see cref="TokenFile"/>: no authentication.</summary>
    public string Token { get; set; } = "";

    /// <summary>A file holding the token (a mounted secret); its surrounding whitespace is ignored. Wins over <see cref="Token"/>.</summary>
    public string TokenFile { get; set; } = "";

    /// <summary>
    /// PEM file of the certificate both ports serve HTTPS with (the first certificate; any after it are sent as its
    /// chain). Set together with <see cref="KeyFile"/>; both empty: plain HTTP.
    /// </summary>
    public string CertificateFile { get; set; } = "";

    /// <summary>PEM file of <see cref="CertificateFile"/>'s private key (PKCS#8, RSA or EC, unencrypted).</summary>
    public string KeyFile { get; set; } = "";

    /// <summary>Whether both ports serve HTTPS: both TLS files are set.</summary>
    public bool Tls => !string.IsNullOrWhiteSpace(CertificateFile) && !string.IsNullOrWhiteSpace(KeyFile);

    /// <summary>Largest sweep spec SubmitSweep accepts, in UTF-8 bytes.</summary>
    public int MaxSpecBytes { get; set; } = 1 << 20;

    /// <summary>How often the event feeds read the coordinator's state.</summary>
    public TimeSpan FeedInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>At most one Progress event per sweep this often (trial state changes are never held back).</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(2);

    public IReadOnlyList<Problem> Check()
    {
        var problems = new List<Problem>();
        void Add(string key, string message) => problems.Add(new Problem($"{Section}:{key}", message));
        if (!Enabled) return problems;
        if (string.IsNullOrWhiteSpace(Hostname)) Add(nameof(Hostname), "is empty.");
        if (Port is < 0 or > 65535) Add(nameof(Port), $"{Port} is not a TCP port (0 to 65535).");
        if (HttpPort is < 0 or > 65535) Add(nameof(HttpPort), $"{HttpPort} is not a TCP port (0 to 65535).");
        if (Port != 0 && Port == HttpPort) Add(nameof(HttpPort), $"{HttpPort} is also the gRPC port; the dashboard needs its own (HTTP/1.1).");
        if (MaxSpecBytes < 1) Add(nameof(MaxSpecBytes), $"{MaxSpecBytes} is not a positive number of bytes.");
        if (FeedInterval <= TimeSpan.Zero) Add(nameof(FeedInterval), $"{FeedInterval} is not a positive time.");
        if (ProgressInterval < TimeSpan.Zero) Add(nameof(ProgressInterval), $"{ProgressInterval} is negative.");
        if (!string.IsNullOrWhiteSpace(TokenFile))
        {
            if (!File.Exists(TokenFile)) Add(nameof(TokenFile), $"{TokenFile} does not exist.");
            else if (ReadTokenFile().Length == 0) Add(nameof(TokenFile), $"{TokenFile} is empty.");
        }
        CheckTls(Add);
        return problems;
    }

    private void CheckTls(Action<string, string> add)
    {
        bool certificateSet = !string.IsNullOrWhiteSpace(CertificateFile), keySet = !string.IsNullOrWhiteSpace(KeyFile);
        if (certificateSet != keySet)
        {
            // Serving plain HTTP when half of the TLS settings are there would send the token in clear unnoticed.
            if (certificateSet) add(nameof(KeyFile), $"is not set, but CertificateFile is ({CertificateFile}); HTTPS needs both (CLUSTERTRAIN_API__KEYFILE).");
            else add(nameof(CertificateFile), $"is not set, but KeyFile is ({KeyFile}); HTTPS needs both (CLUSTERTRAIN_API__CERTIFICATEFILE).");
            return;
        }
        if (!certificateSet) return;
        var certificatePem = ReadPem(nameof(CertificateFile), CertificateFile, add);
        var keyPem = ReadPem(nameof(KeyFile), KeyFile, add);
        if (certificatePem is null || keyPem is null) return;
        if (!HasPem(certificatePem, "CERTIFICATE"))
        {
            add(nameof(CertificateFile), $"{CertificateFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
            return;
        }
        if (HasPem(keyPem, "ENCRYPTED PRIVATE KEY"))
        {
            add(nameof(KeyFile), $"{KeyFile} holds an encrypted private key; the coordinator reads unencrypted PEM keys only.");
            return;
        }
        if (!HasPem(keyPem, "PRIVATE KEY") && !HasPem(keyPem, "RSA PRIVATE KEY") && !HasPem(keyPem, "EC PRIVATE KEY"))
        {
            add(nameof(KeyFile), $"{KeyFile} holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY).");
            return;
        }
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (ArgumentException)
        {
            add(nameof(KeyFile), $"{KeyFile} is not the private key of the certificate in {CertificateFile} (CertificateFile).");
        }
        catch (CryptographicException e)
        {
            add(nameof(KeyFile), $"{KeyFile} and {CertificateFile} (CertificateFile) do not make a certificate with its key: {e.Message}");
        }
    }

    private static string? ReadPem(string key, string path, Action<string, string> add)
    {
        if (Directory.Exists(path)) { add(key, $"{path} is a folder, not a PEM file."); return null; }
        if (!File.Exists(path)) { add(key, $"{path} does not exist."); return null; }
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            add(key, $"{path} cannot be read: {e.Message}");
            return null;
        }
    }

    private static bool HasPem(string text, string label)
    {
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].SequenceEqual(label.AsSpan())) return true;
            rest = rest[fields.Location.End..];
        }
        return false;
    }

    /// <summary>
    /// The server certificate with its key, and the certificates after it in <see cref="CertificateFile"/> (its chain).
    /// Call after <see cref="Check"/> found no problem.
    /// </summary>
    public (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadCertificate()
    {
        using var pem = X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile);
        // A key from PEM is ephemeral; SslStream on Windows refuses those, so it travels through PKCS#12 as Kestrel's own PEM loader does.
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(CertificateFile);
        var chain = new X509Certificate2Collection();
        foreach (var c in all.Skip(1)) chain.Add(c);
        return (certificate, chain);
    }

    /// <summary>The token calls must carry, or null when none is configured.</summary>
    public string? ResolveToken()
    {
        var token = string.IsNullOrWhiteSpace(TokenFile) ? Token.Trim() : ReadTokenFile();
        return token.Length == 0 ? null : token;
    }

    private string ReadTokenFile() => File.ReadAllText(TokenFile).Trim();
}
