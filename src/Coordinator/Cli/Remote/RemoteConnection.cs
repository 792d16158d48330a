using System.CommandLine;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ClusterTrain.Api.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace ClusterTrain.Coordinator.Cli.Remote;

/// <summary>
/// The options every remote command shares (coordinator URL, token, CA file, --json) and the gRPC client they make. The
/// URL, token and CA file also come from CLUSTERTRAIN_COORDINATOR_URL, CLUSTERTRAIN_TOKEN, CLUSTERTRAIN_TOKEN_FILE and
/// CLUSTERTRAIN_CA_FILE; options win.
/// </summary>
public sealed class RemoteOptions
{
    public const string UrlVariable = "CLUSTERTRAIN_COORDINATOR_URL";
    public const string TokenVariable = "CLUSTERTRAIN_TOKEN";
    public const string TokenFileVariable = "CLUSTERTRAIN_TOKEN_FILE";
    public const string CaFileVariable = "CLUSTERTRAIN_CA_FILE";
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public Option<string?> Coordinator { get; } = new("--coordinator", "-c")
    {
        Description = $"The coordinator's gRPC API URL (default ${UrlVariable}, else {DefaultUrl}).",
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = $"Bearer token the coordinator requires (default ${TokenVariable}).",
    };

    public Option<FileInfo?> TokenFile { get; } = new("--token-file")
    {
        Description = $"File holding the token (default ${TokenFileVariable}); --token wins.",
    };

    public Option<FileInfo?> CaFile { get; } = new("--ca-file")
    {
        Description = $"PEM certificate of the CA (or the self-signed certificate) to trust for an https:// coordinator instead of the system's (default ${CaFileVariable}).",
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON for scripts instead of text." };

    public void AddTo(Command command)
    {
        command.Options.Add(Coordinator);
        command.Options.Add(Token);
        command.Options.Add(TokenFile);
        command.Options.Add(CaFile);
        command.Options.Add(Json);
    }

    /// <summary>The connection the parsed options describe, or the problem with them.</summary>
    public RemoteConnection Connect(ParseResult parse)
    {
        var url = parse.GetValue(Coordinator) ?? Environment.GetEnvironmentVariable(UrlVariable) ?? DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new RemoteInputException($"--coordinator {url} is not an http:// or https:// URL");
        var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable);
        var tokenFile = parse.GetValue(TokenFile)?.FullName ?? Environment.GetEnvironmentVariable(TokenFileVariable);
        if (string.IsNullOrEmpty(token) && !string.IsNullOrEmpty(tokenFile))
        {
            if (!File.Exists(tokenFile)) throw new RemoteInputException($"the token file {tokenFile} does not exist");
            token = File.ReadAllText(tokenFile).Trim();
        }
        var caFile = parse.GetValue(CaFile)?.FullName ?? Environment.GetEnvironmentVariable(CaFileVariable);
        // Ignored for http:// URLs: a CLUSTERTRAIN_CA_FILE set for one coordinator should not break a local one.
        var roots = string.IsNullOrEmpty(caFile) || uri.Scheme != "https" ? null : ReadCaFile(caFile);
        return new RemoteConnection(uri, string.IsNullOrEmpty(token) ? null : token, parse.GetValue(Json), roots);
    }

    private static X509Certificate2Collection ReadCaFile(string path)
    {
        if (!File.Exists(path)) throw new RemoteInputException($"the CA file {path} (--ca-file) does not exist");
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new RemoteInputException($"the CA file {path} (--ca-file) cannot be read: {e.Message}");
        }
        if (roots.Count == 0) throw new RemoteInputException($"the CA file {path} (--ca-file) holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return roots;
    }
}

/// <summary>Bad options of a remote command (exit code 2).</summary>
public sealed class RemoteInputException(string message) : Exception(message);

/// <summary>A gRPC channel to one coordinator, with the token sent on every call.</summary>
public sealed class RemoteConnection : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly GrpcChannel _channel;

    /// <summary>Why the coordinator's certificate was refused, when it was: the TLS exception alone does not always say.</summary>
    private string? _refusedCertificate;

    /// <param name="roots">Certificates to trust instead of the system's (--ca-file); null: the system's.</param>
    public RemoteConnection(Uri url, string? token, bool json, X509Certificate2Collection? roots = null)
    {
        Url = url;
        Json = json;
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectTimeout = ConnectTimeout,
                EnableMultipleHttp2Connections = true,
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, errors) => Validate(certificate, errors, roots) },
            },
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        Client = new SweepApi.SweepApiClient(_channel);
        // Sent as plain metadata: call credentials are refused on http:// channels, and the API may run cleartext.
        Headers = token is null ? [] : new Metadata { { "authorization", $"Bearer {token}" } };
    }

    public Uri Url { get; }

    private bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? roots)
    {
        if (certificate is null) return Refuse("the coordinator sent no certificate");
        // The name is checked whatever the roots: a certificate from the right CA for another host is still refused.
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return Refuse($"its certificate ({certificate.Subject}) is not for {Url.Host}");
        if (roots is null)
            return errors == SslPolicyErrors.None || Refuse($"its certificate ({certificate.Subject}, issued by {certificate.Issuer}) does not chain to a CA this system trusts");
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        // A private CA rarely publishes revocation lists, and the coordinator's network may reach none.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()))) return true;
        var reasons = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return Refuse($"its certificate ({certificate.Subject}, issued by {certificate.Issuer}) does not chain to the CA file's certificates: {reasons}");
    }

    private bool Refuse(string reason)
    {
        _refusedCertificate = reason;
        return false;
    }

    public bool Json { get; }

    public SweepApi.SweepApiClient Client { get; }

    public Metadata Headers { get; }

    /// <summary>Runs a remote command, turning gRPC failures into a message naming the URL and an exit code.</summary>
    public static async Task<int> RunAsync(RemoteOptions options, ParseResult parse, Func<RemoteConnection, CancellationToken, Task<int>> command)
    {
        var json = parse.GetValue(options.Json);
        RemoteConnection connection;
        try
        {
            connection = options.Connect(parse);
        }
        catch (RemoteInputException e)
        {
            return Fail(json, ExitCodes.BadInput, e.Message);
        }
        using (connection)
        using (var interrupt = new ConsoleInterrupt("stopping (the sweep goes on at the coordinator)"))
        {
            try
            {
                return await command(connection, interrupt.Token);
            }
            catch (RemoteInputException e)
            {
                return Fail(json, ExitCodes.BadInput, e.Message);
            }
            catch (OperationCanceledException) when (interrupt.Token.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && interrupt.Token.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
            catch (RpcException e) when (connection._refusedCertificate is not null || IsTlsFailure(e))
            {
                return Fail(json, ExitCodes.Unreachable, $"the certificate of the coordinator at {connection.Url} was not trusted: " +
                    $"{connection._refusedCertificate ?? Detail(e)}. If it comes from a private CA or is self-signed, pass that CA's " +
                    $"certificate (PEM) with --ca-file or {RemoteOptions.CaFileVariable}; the host name must match the certificate's.");
            }
            catch (RpcException e)
            {
                var (code, message) = Report(connection.Url, e);
                return Fail(json, code, message);
            }
        }
    }

    /// <summary>
    /// The error on stderr, as always; with --json also as an object on stdout, so that a script reading stdout learns
    /// what went wrong rather than finding nothing to parse.
    /// </summary>
    private static int Fail(bool json, int exitCode, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        if (json) Console.WriteLine(JsonSerializer.Serialize(new { error = message, exit_code = exitCode }));
        return exitCode;
    }

    private static (int ExitCode, string Message) Report(Uri url, RpcException e) => e.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded =>
            (ExitCodes.Unreachable, $"cannot reach the coordinator at {url}: {Detail(e)}{HttpsHint(url, e)}"),
        StatusCode.Internal or StatusCode.Unknown =>
            (ExitCodes.Unreachable, $"the coordinator at {url} failed the call: {Detail(e)}{HttpsHint(url, e)}"),
        StatusCode.Unauthenticated => (ExitCodes.BadInput, $"the coordinator at {url} refused the call: {e.Status.Detail}"),
        _ => (ExitCodes.BadInput, e.Status.Detail),
    };

    /// <summary>
    /// A cleartext client on a TLS port sees the connection end mid-handshake (an invalid or ended response), never a refusal:
    /// the likeliest cause of that on an http:// URL is a coordinator serving HTTPS.
    /// </summary>
    private static string HttpsHint(Uri url, RpcException e)
    {
        if (url.Scheme != "http") return "";
        for (var inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
            // Unknown: the HTTP/2 handshake's own failure carries no code (.NET 10); a refused connection is ConnectionError.
            if (inner is HttpIOException or HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded or HttpRequestError.Unknown })
                return $" (if the coordinator serves HTTPS, use https://{url.Authority})";
        return "";
    }

    private static bool IsTlsFailure(RpcException e)
    {
        for (var inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
            if (inner is AuthenticationException) return true;
        return false;
    }

    private static string Detail(RpcException e) =>
        e.Status.DebugException is { } inner ? $"{e.Status.Detail} ({inner.GetBaseException().Message})" : e.Status.Detail;

    public void Dispose() => _channel.Dispose();
}
