using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using Akka.Remote.Hosting;
using Microsoft.Extensions.Configuration;
using ClusterTrain.Shared;
using ClusterTrain.Shared.Cluster;
using AkkaClusterOptions = Akka.Cluster.Hosting.ClusterOptions;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>The Akka.Hosting set-up every ClusterTrain member shares, whatever its role.</summary>
public static class ClusterTrainAkka
{
    /// <summary>Name of the serializer of the protocol, in Akka's serializer table.</summary>
    public const string SerializerName = "clustertrain-protocol";

    /// <summary>
    /// Remoting on <see cref="ClusterOptions.Hostname"/>:<see cref="ClusterOptions.Port"/>; cluster membership as
    /// <paramref name="role"/> (plus <see cref="ClusterOptions.Roles"/>), joining <see cref="ClusterOptions.SeedNodes"/>
    /// or, for a coordinator without any, itself; the split brain resolver keeping the side with the majority of
    /// coordinators; every protocol message bound to <see cref="ProtocolSerializer"/> and every other type refused
    /// (no fallback to the polymorphic JSON serializer); and a proxy to the sweep coordinator singleton, registered
    /// under <see cref="SweepCoordinatorProxy"/>. With <see cref="ClusterOptions.EffectiveManagementPort"/>, the management
    /// HTTP endpoint with the health routes <c>/alive</c> and <c>/ready</c> (<see cref="HealthRoutes"/>); with Kubernetes
    /// discovery, cluster bootstrap instead of seed nodes.
    /// </summary>
    /// <exception cref="ConfigException">The options do not describe a usable member; every problem names its key.</exception>
    public static AkkaConfigurationBuilder AddClusterTrainAkka(this AkkaConfigurationBuilder builder, ClusterOptions options, string role)
    {
        if (!ClusterRoles.All.Contains(role))
            throw new ArgumentException($"'{role}' is not a ClusterTrain role; use one of {string.Join(", ", ClusterRoles.All)}.", nameof(role));
        var problems = options.Check(role);
        if (problems.Count > 0) throw new ConfigException(problems);

        builder
            .WithRemoting(new RemoteOptions
            {
                HostName = options.Hostname,
                Port = options.Port,
                PublicHostName = string.IsNullOrWhiteSpace(options.PublicHostname) ? null : options.PublicHostname,
            })
            .WithClustering(new AkkaClusterOptions
            {
                Roles = [role, .. options.Roles.Where(r => r != role)],
                SeedNodes = [.. options.SeedNodes],
                // The coordinators hold the sweeps' state: in a partition, the side that keeps most of them (the
                // only one, usually) lives on, and GPU nodes cut off from it down themselves and rejoin.
                SplitBrainResolver = new KeepMajorityOption { Role = ClusterRoles.Coordinator },
                FailureDetector = options.AcceptableHeartbeatPause is null && options.HeartbeatInterval is null
                    ? null
                    : new PhiAccrualFailureDetectorOptions
                    {
                        AcceptableHeartbeatPause = options.AcceptableHeartbeatPause,
                        HeartbeatInterval = options.HeartbeatInterval,
                    },
            })
            .WithCustomSerializer(SerializerName, ProtocolCodec.MessageTypes, system => new ProtocolSerializer(system))
            .WithStrictSerialization()
            .WithSingletonProxy<SweepCoordinatorProxy>(
                SweepCoordinatorProxy.SingletonName,
                new ClusterSingletonOptions { Role = ClusterRoles.Coordinator });

        // Akka.Cluster.Hosting's split brain resolver options have no stable-after: this one key goes in as configuration.
        if (options.DowningStableAfter is { } stableAfter)
            builder.AddDuration("akka:cluster:split-brain-resolver:stable-after", stableAfter);

        // The commands own SIGTERM and Ctrl-C and dispose the host, whose CoordinatedShutdown first stops a node's trials
        // (each writes its checkpoint: NodeHosting.AddGpuNode, before-cluster-shutdown) and then leaves the cluster
        // gracefully. Akka's own hook ran that shutdown from the signal handler, ahead of the command (seen:
        // `clustertrain coordinator` exiting 0, or aborting, on SIGTERM).
        builder.AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend);
        if (options.EffectiveManagementPort is { } managementPort)
            AddManagement(builder, options, managementPort);
        if (!options.IsKubernetes && role == ClusterRoles.Coordinator && options.SeedNodes.Count == 0)
            builder.AddStartup((system, _) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        return builder;
    }

    /// <summary>
    /// One Akka duration setting that Akka.Hosting has no option for, given as configuration; it wins
    /// over the defaults.
    /// </summary>
    /// <param name="key">The setting's path with ':' separators, e.g. <c>akka:cluster:split-brain-resolver:stable-after</c>.</param>
    public static AkkaConfigurationBuilder AddDuration(this AkkaConfigurationBuilder builder, string key, TimeSpan value) =>
        builder.AddHocon(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = $"{(long)value.TotalMilliseconds}ms" }).Build(),
            HoconAddMode.Prepend);

    private static void AddManagement(AkkaConfigurationBuilder builder, ClusterOptions options, int port)
    {
        // A free port is chosen now rather than by the socket: bootstrap must know its own contact point's port.
        var bound = port == 0 ? ManagementServer.FreePort(options.Hostname) : port;
        var advertised = string.IsNullOrWhiteSpace(options.PublicHostname) ? options.Hostname : options.PublicHostname;
        if (options.IsKubernetes)
            builder.WithClusterBootstrap(new ClusterBootstrapOptions
            {
                ContactPointDiscovery =
                {
                    PortName = ClusterOptions.ManagementPortName,
                    RequiredContactPointsNr = options.Bootstrap.RequiredContactPoints,
                    StableMargin = options.Bootstrap.StableMargin,
                },
                ContactPoint = { FallbackPort = bound },
            }, autoStart: false)
            .WithKubernetesDiscovery(new KubernetesDiscoveryOptions
            {
                PodLabelSelector = options.Bootstrap.PodLabelSelector,
                PodNamespace = string.IsNullOrWhiteSpace(options.Bootstrap.PodNamespace) ? null : options.Bootstrap.PodNamespace,
            })
            // Bootstrap asks the default discovery method: make that the Kubernetes API.
            .AddHocon("akka.discovery.method = kubernetes-api", HoconAddMode.Prepend);
        builder.AddStartup(async (system, _) =>
        {
            ManagementServer.Get(system).Start(system, options.Hostname, advertised, bound, bootstrap: options.IsKubernetes);
            if (options.IsKubernetes)
                await ClusterBootstrap.Get(system).Start();
        });
    }
}

/// <summary>
/// Key of the proxy to the sweep coordinator singleton in the <see cref="ActorRegistry"/>: any member, whatever
/// its role, reaches the coordinator through it wherever the singleton runs now.
/// </summary>
public sealed class SweepCoordinatorProxy
{
    /// <summary>Name of the singleton and of its manager, at /user/sweep-coordinator.</summary>
    public const string SingletonName = "sweep-coordinator";

    private SweepCoordinatorProxy() { }
}
