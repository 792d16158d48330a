using Akka.Actor;
using Akka.Cluster;
using Akka.Http.Dsl;
using Akka.Management.Dsl;
using Ceen;
using Route = System.ValueTuple<string, Akka.Http.Dsl.HttpModuleBase>;

namespace ClusterTrain.GpuNode.Cluster;

/// <summary>
/// Health routes on the management endpoint, for Kubernetes probes. <c>GET /alive</c> answers 200 while the actor
/// system runs, whatever the cluster's state: a liveness probe tied to membership would restart healthy pods in a loop
/// while the cluster is still forming or a coordinator is away. <c>GET /ready</c> answers 200 only while this member
/// is Up in the cluster, and 503 before it has joined and once it is leaving. Akka.Management for .NET ships no health
/// routes of its own, so this provider adds them (registered by <see cref="ClusterTrainAkka.AddClusterTrainAkka"/>).
/// </summary>
public sealed class HealthRoutes : IManagementRouteProvider
{
    /// <summary>Name of the provider in <c>akka.management.http.routes</c>.</summary>
    public const string Name = "clustertrain-health";

    public const string AlivePath = "/alive";
    public const string ReadyPath = "/ready";

    public Route[] Routes(ManagementRouteProviderSettings settings) =>
        [(AlivePath, new Probe(system => !system.WhenTerminated.IsCompleted, "alive")),
         (ReadyPath, new Probe(IsUp, "up in the cluster"))];

    private static bool IsUp(ActorSystem system) =>
        !system.WhenTerminated.IsCompleted && Akka.Cluster.Cluster.Get(system).SelfMember.Status == MemberStatus.Up;

    private sealed class Probe(Func<ActorSystem, bool> healthy, string what) : HttpModuleBase
    {
        public override async Task<bool> HandleAsync(IAkkaHttpContext context)
        {
            if (!string.Equals(context.HttpContext.Request.Method, "GET", StringComparison.OrdinalIgnoreCase))
                return false;
            var ok = healthy(context.ActorSystem);
            context.HttpContext.Response.StatusCode = ok ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable;
            await context.HttpContext.Response.WriteAllJsonAsync(ok ? $"{{\"status\":\"{what}\"}}" : $"{{\"status\":\"not {what}\"}}");
            return true;
        }
    }
}
