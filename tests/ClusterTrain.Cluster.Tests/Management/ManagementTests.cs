using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClusterTrain.Cluster.Tests.Management;

/// <summary>
/// The management endpoint Kubernetes probes: real members, real HTTP on a free port. Readiness follows cluster
/// membership; liveness does not.
/// </summary>
public class ManagementTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task A_member_is_alive_before_it_joins_and_ready_only_once_it_is_up()
    {
        var coordinatorPort = FreePort();
        var seed = $"akka.tcp://clustertrain@127.0.0.1:{coordinatorPort}";
        await using var node = await Member.StartAsync(new ClusterOptions { ManagementPort = 0, SeedNodes = [seed] }, ClusterRoles.Gpu);
        var endpoint = await node.ManagementEndpointAsync();

        // Nobody listens at the seed address yet: the node cannot join.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(endpoint, HealthRoutes.AlivePath));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(endpoint, HealthRoutes.ReadyPath));

        await using var coordinator = await Member.StartAsync(new ClusterOptions { Port = coordinatorPort }, ClusterRoles.Coordinator);
        await UntilAsync(async () => await StatusAsync(endpoint, HealthRoutes.ReadyPath) == HttpStatusCode.OK);

        Assert.Equal(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(node.System).SelfMember.Status);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(endpoint, HealthRoutes.AlivePath));
    }

    [Fact]
    public async Task A_member_on_Kubernetes_discovery_bootstraps_by_pod_label_without_seed_nodes_and_is_alive_but_not_ready_without_a_cluster()
    {
        var options = new ClusterOptions
        {
            Discovery = ClusterDiscovery.Kubernetes,
            ManagementPort = 0,
            Bootstrap = { PodLabelSelector = "app.kubernetes.io/part-of=test-cluster", RequiredContactPoints = 3 },
        };
        await using var member = await Member.StartAsync(options, ClusterRoles.Coordinator);
        var endpoint = await member.ManagementEndpointAsync();
        var config = member.System.Settings.Config;

        // No Kubernetes API here: discovery finds no pods, so the member forms no cluster on its own.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(endpoint, HealthRoutes.AlivePath));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(endpoint, HealthRoutes.ReadyPath));
        Assert.Empty(config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("kubernetes-api", config.GetString("akka.discovery.method"));
        Assert.Equal("app.kubernetes.io/part-of=test-cluster", config.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
        Assert.Equal(3, config.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        Assert.Equal(ClusterOptions.ManagementPortName, config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name"));
        Assert.NotEqual(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(member.System).SelfMember.Status);
    }

    [Fact]
    public async Task Two_members_without_seed_nodes_form_one_cluster_by_probing_each_others_bootstrap_routes()
    {
        var ports = new[] { FreePort(), FreePort() };
        // Everything as on Kubernetes except where contact points come from: a fixed list instead of the API server.
        var contactPoints = $$"""
            akka.discovery.method = config
            akka.discovery.config.services.clustertrain.endpoints = [ "127.0.0.1:{{ports[0]}}", "127.0.0.1:{{ports[1]}}" ]
            """;
        ClusterOptions Options(int port) => new()
        {
            Discovery = ClusterDiscovery.Kubernetes,
            ManagementPort = port,
            Bootstrap = { RequiredContactPoints = 2, StableMargin = TimeSpan.FromSeconds(1) },
        };

        await using var coordinator = await Member.StartAsync(Options(ports[0]), ClusterRoles.Coordinator, contactPoints);
        await using var node = await Member.StartAsync(Options(ports[1]), ClusterRoles.Gpu, contactPoints);
        var endpoints = new[] { await coordinator.ManagementEndpointAsync(), await node.ManagementEndpointAsync() };
        foreach (var endpoint in endpoints)
            await UntilAsync(async () => await StatusAsync(endpoint, HealthRoutes.ReadyPath) == HttpStatusCode.OK);

        var members = Akka.Cluster.Cluster.Get(coordinator.System).State.Members;
        Assert.Equal(2, members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
        Assert.Contains(members, m => m.Address == Akka.Cluster.Cluster.Get(node.System).SelfAddress);
        Assert.Empty(coordinator.System.Settings.Config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public async Task A_member_with_configured_seed_nodes_opens_no_management_endpoint_unless_asked()
    {
        await using var member = await Member.StartAsync(new ClusterOptions(), ClusterRoles.Coordinator);

        Assert.Null(new ClusterOptions().EffectiveManagementPort);
        Assert.Equal(ClusterOptions.DefaultManagementPort, new ClusterOptions { Discovery = ClusterDiscovery.Kubernetes }.EffectiveManagementPort);
        Assert.False(ManagementServer.Get(member.System).Endpoint.IsCompleted);
    }

    [Fact]
    public void Discovery_management_and_bootstrap_settings_bind_from_environment_variables()
    {
        var environment = new Dictionary<string, string>
        {
            ["CLUSTERTRAIN_CLUSTER__DISCOVERY"] = "kubernetes",
            ["CLUSTERTRAIN_CLUSTER__MANAGEMENTPORT"] = "9558",
            ["CLUSTERTRAIN_CLUSTER__BOOTSTRAP__PODLABELSELECTOR"] = "app=ct",
            ["CLUSTERTRAIN_CLUSTER__BOOTSTRAP__PODNAMESPACE"] = "sweeps",
            ["CLUSTERTRAIN_CLUSTER__BOOTSTRAP__REQUIREDCONTACTPOINTS"] = "2",
            ["CLUSTERTRAIN_CLUSTER__BOOTSTRAP__STABLEMARGIN"] = "00:00:07",
        };

        var cluster = ClusterTrainConfiguration.Cluster(ClusterTrainConfiguration.Load(settingsFile: null, environment));

        Assert.Equal(("kubernetes", 9558), (cluster.Discovery, cluster.EffectiveManagementPort));
        Assert.Equal(("app=ct", "sweeps", 2, TimeSpan.FromSeconds(7)),
            (cluster.Bootstrap.PodLabelSelector, cluster.Bootstrap.PodNamespace, cluster.Bootstrap.RequiredContactPoints, cluster.Bootstrap.StableMargin));
        Assert.Empty(cluster.Check(ClusterRoles.Gpu));
    }

    [Fact]
    public void Unusable_discovery_settings_are_reported_together_each_naming_its_key()
    {
        var kubernetes = new ClusterOptions
        {
            Discovery = ClusterDiscovery.Kubernetes,
            Port = 4053,
            ManagementPort = 4053,
            SeedNodes = ["akka.tcp://clustertrain@coordinator:4053"],
            Bootstrap = { PodLabelSelector = " ", RequiredContactPoints = 0, StableMargin = TimeSpan.Zero },
        };

        var problems = kubernetes.Check(ClusterRoles.Gpu).Select(p => p.ToString()).ToList();
        var unknown = new ClusterOptions { Discovery = "consul", ManagementPort = -1 }.Check(ClusterRoles.Coordinator).Select(p => p.ToString()).ToList();

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:SeedNodes: must be empty with Kubernetes discovery"));
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:Bootstrap:PodLabelSelector: is empty"));
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:Bootstrap:RequiredContactPoints: 0 is below 1"));
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:Bootstrap:StableMargin: 00:00:00 is not a positive time span"));
        Assert.Contains(problems, p => p.StartsWith("ClusterTrain:Cluster:ManagementPort: 4053 is also the remoting Port"));
        Assert.Equal(2, unknown.Count);
        Assert.Contains(unknown, p => p.StartsWith("ClusterTrain:Cluster:Discovery: 'consul' is not a discovery method; use config or kubernetes"));
        Assert.Contains(unknown, p => p.StartsWith("ClusterTrain:Cluster:ManagementPort: -1 is not a TCP port"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<HttpStatusCode> StatusAsync(Uri endpoint, string path)
    {
        using var response = await Http.GetAsync(new Uri(endpoint, path));
        return response.StatusCode;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!await condition())
            await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
    }

    /// <summary>A member started as the commands start one, without waiting for it to join.</summary>
    private sealed class Member : IAsyncDisposable
    {
        private readonly IHost _host;

        private Member(IHost host)
        {
            _host = host;
            System = host.Services.GetRequiredService<ActorSystem>();
        }

        public ActorSystem System { get; }

        /// <param name="overrides">HOCON that wins over the set-up, for what a test must replace.</param>
        public static async Task<Member> StartAsync(ClusterOptions options, string role, string? overrides = null)
        {
            var host = new HostBuilder()
                .ConfigureServices(services => services.AddAkka(options.SystemName, (builder, _) =>
                {
                    builder.AddClusterTrainAkka(options, role);
                    if (overrides is not null) builder.AddHocon(overrides, HoconAddMode.Prepend);
                }))
                .Build();
            await host.StartAsync();
            return new Member(host);
        }

        /// <summary>The bound endpoint: the member asked for a free port, so only the binding knows which.</summary>
        public async Task<Uri> ManagementEndpointAsync()
        {
            var uri = await ManagementServer.Get(System).Endpoint.WaitAsync(Patience);
            // Binding happens beside the actor system's start; wait until the socket answers.
            await UntilAsync(async () =>
            {
                try { await StatusAsync(uri, HealthRoutes.AlivePath); return true; }
                catch (HttpRequestException) { return false; }
            });
            return uri;
        }

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }
}
