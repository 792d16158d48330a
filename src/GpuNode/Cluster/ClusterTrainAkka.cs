using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
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
    /// under <see cref="SweepCoordinatorProxy"/>.
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
            builder.AddHocon(
                new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["akka:cluster:split-brain-resolver:stable-after"] = $"{(long)stableAfter.TotalMilliseconds}ms",
                }).Build(),
                HoconAddMode.Prepend);

        if (role == ClusterRoles.Coordinator && options.SeedNodes.Count == 0)
            builder.AddStartup((system, _) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        return builder;
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
