using Akka.Actor;
using Akka.Hosting;
using ClusterTrain.GpuNode.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClusterTrain.Cluster.Tests.Infrastructure;

/// <summary>
/// A real cluster member: an Akka.Hosting host with remoting on a free loopback TCP port, set up by
/// <see cref="ClusterTrainAkka.AddClusterTrainAkka"/> as in production.
/// </summary>
internal sealed class ClusterMember : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly IHost _host;

    private ClusterMember(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        Registry = host.Services.GetRequiredService<ActorRegistry>();
    }

    public ActorSystem System { get; }

    public ActorRegistry Registry { get; }

    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(System);

    public Address Address => Cluster.SelfAddress;

    /// <summary>Starts a member and waits until it is Up in the cluster.</summary>
    /// <param name="seedNodes">Whom to join: none for a coordinator that forms its own cluster.</param>
    /// <param name="configure">More set-up, e.g. the journal or the coordinator singleton.</param>
    public static async Task<ClusterMember> StartAsync(string role, IEnumerable<Address>? seedNodes = null, Action<AkkaConfigurationBuilder>? configure = null)
    {
        var options = new ClusterOptions { Port = 0, SeedNodes = (seedNodes ?? []).Select(a => a.ToString()).ToList() };
        var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka(options.SystemName, (builder, _) =>
            {
                builder.AddClusterTrainAkka(options, role);
                configure?.Invoke(builder);
            }))
            .Build();
        await host.StartAsync();
        var member = new ClusterMember(host);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        member.Cluster.RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(StartTimeout);
        return member;
    }

    /// <summary>Leaves the cluster and stops, as a node shut down on purpose does.</summary>
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
