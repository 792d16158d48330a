using System.CommandLine;
using ClusterTrain.Api.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace ClusterTrain.Coordinator.Cli.Remote;

/// <summary>
/// The options every remote command shares (coordinator URL, token, --json) and the gRPC client they make. The URL
/// and token also come from CLUSTERTRAIN_COORDINATOR_URL, CLUSTERTRAIN_TOKEN and CLUSTERTRAIN_TOKEN_FILE; options win.
/// </summary>
public sealed class RemoteOptions
{
    public const string UrlVariable = "CLUSTERTRAIN_COORDINATOR_URL";
    public const string TokenVariable = "CLUSTERTRAIN_TOKEN";
    public const string TokenFileVariable = "CLUSTERTRAIN_TOKEN_FILE";
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

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON for scripts instead of text." };

    public void AddTo(Command command)
    {
        command.Options.Add(Coordinator);
        command.Options.Add(Token);
        command.Options.Add(TokenFile);
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
        return new RemoteConnection(uri, string.IsNullOrEmpty(token) ? null : token, parse.GetValue(Json));
    }
}

/// <summary>Bad options of a remote command (exit code 2).</summary>
public sealed class RemoteInputException(string message) : Exception(message);

/// <summary>A gRPC channel to one coordinator, with the token sent on every call.</summary>
public sealed class RemoteConnection : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly GrpcChannel _channel;

    public RemoteConnection(Uri url, string? token, bool json)
    {
        Url = url;
        Json = json;
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { ConnectTimeout = ConnectTimeout, EnableMultipleHttp2Connections = true },
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        Client = new SweepApi.SweepApiClient(_channel);
        // Sent as plain metadata: call credentials are refused on http:// channels, and the API runs cleartext.
        Headers = token is null ? [] : new Metadata { { "authorization", $"Bearer {token}" } };
    }

    public Uri Url { get; }

    public bool Json { get; }

    public SweepApi.SweepApiClient Client { get; }

    public Metadata Headers { get; }

    /// <summary>Runs a remote command, turning gRPC failures into a message naming the URL and an exit code.</summary>
    public static async Task<int> RunAsync(RemoteOptions options, ParseResult parse, Func<RemoteConnection, CancellationToken, Task<int>> command)
    {
        RemoteConnection connection;
        try
        {
            connection = options.Connect(parse);
        }
        catch (RemoteInputException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        using (connection)
        using (var interrupt = new ConsoleInterrupt())
        {
            try
            {
                return await command(connection, interrupt.Token);
            }
            catch (RemoteInputException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (OperationCanceledException) when (interrupt.Token.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && interrupt.Token.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
            catch (RpcException e)
            {
                return Report(connection.Url, e);
            }
        }
    }

    private static int Report(Uri url, RpcException e)
    {
        switch (e.StatusCode)
        {
            case StatusCode.Unavailable or StatusCode.DeadlineExceeded:
                Console.Error.WriteLine($"error: cannot reach the coordinator at {url}: {Detail(e)}");
                return ExitCodes.Unreachable;
            case StatusCode.Internal or StatusCode.Unknown:
                Console.Error.WriteLine($"error: the coordinator at {url} failed the call: {Detail(e)}");
                return ExitCodes.Unreachable;
            case StatusCode.Unauthenticated:
                Console.Error.WriteLine($"error: the coordinator at {url} refused the call: {e.Status.Detail}");
                return ExitCodes.BadInput;
            default:
                Console.Error.WriteLine($"error: {e.Status.Detail}");
                return ExitCodes.BadInput;
        }
    }

    private static string Detail(RpcException e) =>
        e.Status.DebugException is { } inner ? $"{e.Status.Detail} ({inner.GetBaseException().Message})" : e.Status.Detail;

    public void Dispose() => _channel.Dispose();
}
