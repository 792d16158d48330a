using System.Net;
using System.Net.Sockets;
using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Http.Dsl;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Dsl;
using Ceen.Httpd;
using Route = System.ValueTuple<string, Akka.Http.Dsl.HttpModuleBase>;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// The member's management HTTP endpoint: the <see cref="HealthRoutes"/> and, with Kubernetes discovery, the routes
/// cluster bootstrap probes on every contact point (<c>/bootstrap/seed-nodes</c>). It serves Akka.Management's own route
/// modules, but binds them itself: Akka.Http.Shim 1.5.73 was built against Ceen.Httpd 0.9.9, whose
/// <c>HttpServer.ListenAsync(IPEndPoint, ...)</c> became <c>ListenAsync(EndPoint, ...)</c> in 0.9.10 (the version that
/// restores here), so <c>AkkaManagement.Start()</c> fails with a MissingMethodException. Stops when the actor system
/// terminates, so readiness reads "not ready" through the whole graceful leave.
/// </summary>
public sealed class ManagementServer : IExtension
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<Uri> _endpoint = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Where the endpoint listens (the advertised host and the bound port), once it does.</summary>
    public Task<Uri> Endpoint => _endpoint.Task;

    public static ManagementServer Get(ActorSystem system) => system.WithExtension<ManagementServer, ManagementServerProvider>();

    /// <summary>
    /// Binds <paramref name="bindHost"/>:<paramref name="port"/> and serves the health routes, plus the bootstrap routes
    /// when <paramref name="bootstrap"/> is set; those routes tell bootstrap its own contact point,
    /// http://<paramref name="advertisedHost"/>:<paramref name="port"/>, which must be what discovery finds for this pod.
    /// </summary>
    internal void Start(ActorSystem system, string bindHost, string advertisedHost, int port, bool bootstrap)
    {
        var self = new Uri($"http://{(IPAddress.TryParse(advertisedHost, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{advertisedHost}]" : advertisedHost)}:{port}/");
        var settings = ManagementRouteProviderSettings.Create(self, readOnly: true);
        Route[] routes = [.. new HealthRoutes().Routes(settings), .. bootstrap ? ClusterBootstrap.Get(system).Routes(settings) : []];
        var config = new ServerConfig { Router = new AkkaRouter(system, routes) };
        var listening = HttpServer.ListenAsync(new IPEndPoint(BindAddress(bindHost), port), false, config, _stop.Token);
        _ = listening.ContinueWith(t =>
        {
            if (t.Exception is { } e)
            {
                system.Log.Error(e.GetBaseException(), "management endpoint on {0}:{1} stopped", bindHost, port);
                _endpoint.TrySetException(e.GetBaseException());
            }
        }, TaskScheduler.Default);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "clustertrain-management-stop", () =>
        {
            _stop.Cancel();
            return Task.FromResult(Done.Instance);
        });
        system.Log.Info("management endpoint (health{0}) at {1}", bootstrap ? ", cluster bootstrap" : "", self);
        _endpoint.TrySetResult(self);
    }

    /// <summary>A port nobody listens on now, for a member configured with management port 0.</summary>
    internal static int FreePort(string bindHost)
    {
        using var listener = new TcpListener(BindAddress(bindHost), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static IPAddress BindAddress(string host) =>
        IPAddress.TryParse(host, out var address) ? address
        : host is "localhost" ? IPAddress.Loopback
        : Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork);
}

public sealed class ManagementServerProvider : ExtensionIdProvider<ManagementServer>
{
    public override ManagementServer CreateExtension(ExtendedActorSystem system) => new();
}
