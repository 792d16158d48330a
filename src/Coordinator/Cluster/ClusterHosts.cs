using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace ClusterTrain.Coordinator.Cluster;

/// <summary>A started cluster member: its host, actor system and registry.</summary>
public sealed class ClusterHost : IAsyncDisposable
{
    private readonly IHost _host;

    internal ClusterHost(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        Registry = host.Services.GetRequiredService<ActorRegistry>();
    }

    public ActorSystem System { get; }

    public ActorRegistry Registry { get; }

    /// <summary>This member's address, with the port it actually bound.</summary>
    public Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;

    /// <summary>Completes when the actor system has stopped: disposed, or downed by the split brain resolver.</summary>
    public Task Terminated => System.WhenTerminated;

    /// <summary>The proxy to the sweep coordinator singleton, wherever it runs.</summary>
    public IActorRef Coordinator => Registry.Get<SweepCoordinatorProxy>();

    /// <summary>
    /// Leaves the cluster on purpose and completes once this member is removed (or <paramref name="timeout"/> has
    /// passed): the coordinator then counts none of its trials' attempts. Leaving runs the member's CoordinatedShutdown,
    /// so a node stops its trials, each writing its checkpoint, before it is removed, and its actor system stops after.
    /// </summary>
    public async Task LeaveAsync(TimeSpan timeout)
    {
        if (System.WhenTerminated.IsCompleted) return;
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await Akka.Cluster.Cluster.Get(System).LeaveAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopping goes on regardless; the shutdown that follows leaves again.
        }
    }

    /// <summary>Leaves the cluster and stops the actor system.</summary>
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>Starts ClusterTrain members as the CLI commands run them: a coordinator, or a GPU node.</summary>
public static class ClusterHosts
{
    /// <summary>A member hosting the sweep coordinator singleton and its journal; returns once it is Up.</summary>
    public static Task<ClusterHost> StartCoordinatorAsync(
        ClusterOptions cluster, CoordinatorOptions coordinator, PersistenceOptions persistence, string outputFolder,
        AkkaLogLevel logLevel, TimeSpan timeout) =>
        StartAsync(cluster, logLevel, timeout, builder => builder
            .AddClusterTrainAkka(cluster, ClusterRoles.Coordinator)
            .AddSweepCoordinator(coordinator, persistence, outputFolder));

    /// <summary>A GPU node member with its slots; returns once it is Up.</summary>
    public static Task<ClusterHost> StartNodeAsync(
        ClusterOptions cluster, NodeOptions node, TrialProcessOptions process, TrialShutdowns shutdowns, AkkaLogLevel logLevel, TimeSpan timeout) =>
        StartAsync(cluster, logLevel, timeout, builder => builder
            .AddClusterTrainAkka(cluster, ClusterRoles.Gpu)
            .AddGpuNode(node, process, shutdowns));

    /// <exception cref="ConfigException">The member's port is taken.</exception>
    private static async Task<ClusterHost> StartAsync(ClusterOptions cluster, AkkaLogLevel logLevel, TimeSpan timeout, Action<AkkaConfigurationBuilder> configure)
    {
        RequirePortFree(cluster);
        var host = new HostBuilder()
            .ConfigureServices(services => services
                .AddSingleton<IHostLifetime, CommandLifetime>()
                .AddAkka(cluster.SystemName, (builder, _) =>
                {
                    builder.ConfigureLoggers(loggers =>
                    {
                        loggers.LogLevel = logLevel;
                        // Akka.Remote logs at ERROR, with a stack trace, the dropped connection of a member that left and
                        // stopped, and a message sent while this member's own remoting stops: both expected on a graceful
                        // stop, and the cluster logs membership changes already (akka/akka-core#24585).
                        loggers.WithLogFilter(filter => filter
                            .ExcludeMessageContaining("EndpointDisassociatedException")
                            .ExcludeMessageContaining("Remoting is not running"));
                    });
                    configure(builder);
                }))
            .Build();
        await host.StartAsync();
        var member = new ClusterHost(host);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(member.System).RegisterOnMemberUp(() => up.TrySetResult());
        try
        {
            await up.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await member.DisposeAsync();
            throw new TimeoutException($"the member did not join the cluster within {timeout.TotalSeconds:F0} s (seed nodes: {string.Join(", ", cluster.SeedNodes)})");
        }
        return member;
    }

    /// <summary>
    /// Akka.Remote that cannot bind its port aborts the whole process from inside the host (exit code 134, nested
    /// AggregateExceptions); a port taken before the start is said plainly instead. A port taken in between still aborts.
    /// </summary>
    private static void RequirePortFree(ClusterOptions cluster)
    {
        if (cluster.Port <= 0) return;
        var address = IPAddress.TryParse(cluster.Hostname, out var ip) ? ip : IPAddress.Any;
        var probe = new TcpListener(address, cluster.Port);
        try
        {
            probe.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new ConfigException([new Problem($"{ClusterOptions.Section}:{nameof(ClusterOptions.Port)}",
                $"{cluster.Hostname}:{cluster.Port} is in use by another member or program; stop it, or choose another port with --port (0 takes a free one)")]);
        }
        finally
        {
            probe.Stop();
        }
    }
}

/// <summary>
/// The commands own Ctrl-C and SIGTERM (ConsoleInterrupt) and stop their members themselves, so the generic host's
/// default ConsoleLifetime, which would handle the same signals, is left out.
/// </summary>
internal sealed class CommandLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
