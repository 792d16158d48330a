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
    /// gRPC port, HTTP/2 without TLS (prior knowledge, as gRPC clients speak it). Without TLS, Kestrel serves HTTP/2 only
    /// on an endpoint set to HTTP/2 alone, so browsers get their own port: <see cref="HttpPort"/>. 0: a free one.
    /// </summary>
    public int Port { get; set; } = 5080;

    /// <summary>Dashboard port, HTTP/1.1 for browsers. 0: a free one.</summary>
    public int HttpPort { get; set; } = 5081;

    /// <summary>The bearer token every call must carry; empty with no <see cref="TokenFile"/>: no authentication.</summary>
    public string Token { get; set; } = "";

    /// <summary>A file holding the token (a mounted secret); its surrounding whitespace is ignored. Wins over <see cref="Token"/>.</summary>
    public string TokenFile { get; set; } = "";

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
        return problems;
    }

    /// <summary>The token calls must carry, or null when none is configured.</summary>
    public string? ResolveToken()
    {
        var token = string.IsNullOrWhiteSpace(TokenFile) ? Token.Trim() : ReadTokenFile();
        return token.Length == 0 ? null : token;
    }

    private string ReadTokenFile() => File.ReadAllText(TokenFile).Trim();
}
