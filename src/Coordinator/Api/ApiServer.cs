using System.Net;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ClusterTrain.Shared;

namespace ClusterTrain.Coordinator.Api;

/// <summary>What the API's endpoints share.</summary>
public sealed record ApiServices(IActorRef Coordinator, ApiOptions Options, string OutputFolder, SweepFeeds Feeds, SweepReports Reports);

/// <summary>
/// Kestrel in the coordinator process: the gRPC API on <see cref="ApiOptions.Port"/> (HTTP/2, cleartext or TLS) and the
/// dashboard on <see cref="ApiOptions.HttpPort"/> (HTTP/1.1), both behind the same token, both HTTPS when
/// <see cref="ApiOptions.CertificateFile"/> and <see cref="ApiOptions.KeyFile"/> are set. It talks to the sweep
/// coordinator singleton through <paramref name="coordinator"/>, which must run in this process: reports read the
/// gradient statistics, which have no wire format.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SweepFeeds _feeds;
    private readonly ILoggerFactory _feedLogs;

    private ApiServer(WebApplication app, SweepFeeds feeds, ILoggerFactory feedLogs, int port, int httpPort, string host, bool tls)
    {
        _app = app;
        _feeds = feeds;
        _feedLogs = feedLogs;
        Port = port;
        HttpPort = httpPort;
        var scheme = tls ? "https" : "http";
        GrpcUrl = new Uri($"{scheme}://{host}:{port}");
        DashboardUrl = new Uri($"{scheme}://{host}:{httpPort}/");
    }

    /// <summary>The gRPC port actually bound.</summary>
    public int Port { get; }

    /// <summary>The dashboard port actually bound.</summary>
    public int HttpPort { get; }

    public Uri GrpcUrl { get; }

    public Uri DashboardUrl { get; }

    /// <exception cref="ConfigException">The options are unusable; every problem names its key.</exception>
    public static async Task<ApiServer> StartAsync(ApiOptions options, IActorRef coordinator, string outputFolder, LogLevel logLevel = LogLevel.Warning)
    {
        var problems = options.Check();
        if (problems.Count > 0) throw new ConfigException(problems);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders().AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(logLevel)
            // A port that cannot be bound is reported below as one line naming the setting; the host's own log of it is a stack trace.
            .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        var address = Address(options.Hostname);
        ListenOptions grpc = null!, http = null!;
        var (certificate, chain) = options.Tls ? options.LoadCertificate() : (null, null);
        void Secure(ListenOptions l)
        {
            // Over TLS, HTTP/2 is negotiated by ALPN (h2); a cleartext client on these ports fails its handshake.
            if (certificate is not null) l.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificate = certificate, ServerCertificateChain = chain });
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, options.Port, l => { l.Protocols = HttpProtocols.Http2; Secure(l); grpc = l; });
            kestrel.Listen(address, options.HttpPort, l => { l.Protocols = HttpProtocols.Http1; Secure(l); http = l; });
        });
        var auth = new TokenAuth(options.ResolveToken());
        var reports = new SweepReports(coordinator, outputFolder);
        var feedLogs = LoggerFactory.Create(l => l.AddSimpleConsole(c => c.SingleLine = true));
        var feeds = new SweepFeeds(coordinator, options, reports, feedLogs.CreateLogger<SweepFeeds>());
        var services = new ApiServices(coordinator, options, outputFolder, feeds, reports);
        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton(services);
        builder.Services.AddGrpc(grpcOptions =>
        {
            grpcOptions.Interceptors.Add<TokenAuth.Interceptor>();
            // Room for a spec at the limit plus the message's other fields; larger specs get the clear refusal
            // of SubmitSweep up to this size, and gRPC's own ResourceExhausted beyond it.
            grpcOptions.MaxReceiveMessageSize = options.MaxSpecBytes + 64 * 1024;
        });

        var app = builder.Build();
        app.Use(auth.Middleware);
        app.MapGrpcService<SweepApiService>();
        Dashboard.Map(app, services);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            await feeds.DisposeAsync();
            await app.DisposeAsync();
            feedLogs.Dispose();
            throw new ConfigException([new Problem(ApiOptions.Section, $"cannot listen on {options.Hostname} ports {options.Port} and {options.HttpPort}: {e.Message} " +
                "(choose others with --api-port/--http-port or CLUSTERTRAIN_API__PORT/CLUSTERTRAIN_API__HTTPPORT; 0 takes a free one)")]);
        }
        var host = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "127.0.0.1" : options.Hostname;
        return new ApiServer(app, feeds, feedLogs, grpc.IPEndPoint!.Port, http.IPEndPoint!.Port, host, certificate is not null);
    }

    private static IPAddress Address(string hostname) =>
        IPAddress.TryParse(hostname, out var ip) ? ip
        : hostname == "localhost" ? IPAddress.Loopback
        : Dns.GetHostAddresses(hostname).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _feeds.DisposeAsync();
        await _app.DisposeAsync();
        _feedLogs.Dispose();
    }
}
