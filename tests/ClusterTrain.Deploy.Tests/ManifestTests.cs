using ClusterTrain.Coordinator.Api;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Deploy.Tests;

/// <summary>
/// deploy/k8s against the app: every kustomization is built offline with kubectl and every check runs on what it
/// outputs, so overlays are checked as they would be applied.
/// </summary>
public class ManifestTests
{
    public static TheoryData<string> Kustomizations => new() { "base", "overlays/cpu", "overlays/gpu", "overlays/postgres" };

    public static TheoryData<string> GpuKustomizations => new() { "overlays/gpu", "overlays/postgres" };

    private const string Namespace = "clustertrain";
    private const string ApiPortName = "api";
    private const string DashboardPortName = "dashboard";

    [Fact]
    public void Every_manifest_file_parses_as_Kubernetes_objects_and_every_file_a_kustomization_names_exists()
    {
        var folder = Repository.PathOf("deploy/k8s");
        var files = Directory.GetFiles(folder, "*.yaml", SearchOption.AllDirectories);
        var kustomizations = files.Where(f => Path.GetFileName(f) == "kustomization.yaml").ToList();

        Assert.Equal(4, kustomizations.Count);
        foreach (var file in files.Except(kustomizations))
        {
            var objects = Manifests.Parse(file);
            Assert.True(objects.Count > 0, $"{file} holds no object");
            Assert.All(objects, o => Assert.IsAssignableFrom<IKubernetesObject>(o));
        }
        foreach (var kustomization in kustomizations)
            foreach (var entry in NamedFiles(kustomization))
                Assert.True(File.Exists(entry) || File.Exists(Path.Combine(entry, "kustomization.yaml")), $"{kustomization} names {entry}, which does not exist");
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Selectors_of_workloads_services_budgets_and_policies_match_the_pods_they_are_meant_for(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);
        var pods = manifests.Workloads.ToList();

        foreach (var workload in pods)
            Assert.True(Manifests.Selects(workload.Selector.MatchLabels, workload.Labels), $"{kustomization}: {workload.Name} does not select its own pods");
        foreach (var service in manifests.Of<V1Service>())
            Assert.True(pods.Any(p => Manifests.Selects(service.Spec.Selector, p.Labels)), $"{kustomization}: Service {service.Metadata.Name} selects no pod");
        foreach (var budget in manifests.Of<V1PodDisruptionBudget>())
            Assert.True(pods.Any(p => Manifests.Selects(budget.Spec.Selector.MatchLabels, p.Labels)), $"{kustomization}: PodDisruptionBudget {budget.Metadata.Name} selects no pod");
        foreach (var policy in manifests.Of<V1NetworkPolicy>())
            Assert.True(pods.Any(p => Manifests.Selects(policy.Spec.PodSelector.MatchLabels, p.Labels)), $"{kustomization}: NetworkPolicy {policy.Metadata.Name} selects no pod");

        // Cluster bootstrap must find every member, and only members (a database pod has no management port).
        var bootstrap = Manifests.ParseSelector(manifests.Single<V1ConfigMap>("clustertrain-settings").Data["CLUSTERTRAIN_CLUSTER__BOOTSTRAP__PODLABELSELECTOR"]);
        Assert.Equal(manifests.Members.Select(m => m.Name), pods.Where(p => Manifests.Selects(bootstrap, p.Labels)).Select(p => p.Name));
        Assert.Contains(manifests.Members, m => m.Component == "coordinator");
        Assert.Contains(manifests.Members, m => m.Component == "node");
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Every_environment_variable_set_is_one_the_app_reads_and_every_member_passes_the_apps_own_checks(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);

        foreach (var member in manifests.Members)
        {
            var container = Assert.Single(member.Pod.Containers);
            var environment = manifests.EnvironmentOf(container);
            foreach (var name in environment.Keys)
                Assert.True(AppSettings.Reads(name), $"{kustomization}: {member.Name} sets {name}, which the app does not read (it reads {string.Join(", ", AppSettings.EnvironmentVariables.Order())})");

            var configuration = ClusterTrainConfiguration.Load(settingsFile: null, environment);
            var role = member.Component == "coordinator" ? ClusterRoles.Coordinator : ClusterRoles.Gpu;
            var problems = ClusterTrainConfiguration.Cluster(configuration).Check(role)
                .Concat(role == ClusterRoles.Coordinator
                    ? ClusterTrainConfiguration.Coordinator(configuration).Check().Concat(ClusterTrainConfiguration.Persistence(configuration).Check())
                    : ClusterTrainConfiguration.Node(configuration).Check());
            Assert.Empty(problems);
        }
        // Variables of other programs (the database's) are theirs; no manifest may set a ClusterTrain one the app ignores.
        foreach (var container in manifests.Workloads.SelectMany(w => w.Pod.Containers))
            foreach (var variable in container.Env ?? [])
                Assert.True(!variable.Name.StartsWith(ClusterTrainConfiguration.EnvironmentPrefix) || AppSettings.Reads(variable.Name), $"{kustomization}: {container.Name} sets {variable.Name}");
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Container_ports_and_probes_are_the_ones_the_app_listens_on_and_services_target_existing_ports(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);

        foreach (var member in manifests.Members)
        {
            var container = Assert.Single(member.Pod.Containers);
            var cluster = ClusterTrainConfiguration.Cluster(ClusterTrainConfiguration.Load(settingsFile: null, manifests.EnvironmentOf(container)));
            var ports = container.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);

            Assert.Equal(cluster.Port, ports["remoting"]);
            Assert.Equal(cluster.EffectiveManagementPort, ports[ClusterOptions.ManagementPortName]);
            if (member.Component == "coordinator")
                Assert.Equal((Api.Port, Api.HttpPort), (ports[ApiPortName], ports[DashboardPortName]));
            Assert.Equal((HealthRoutes.AlivePath, ClusterOptions.ManagementPortName), (container.LivenessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Port.Value));
            Assert.Equal((HealthRoutes.AlivePath, ClusterOptions.ManagementPortName), (container.StartupProbe.HttpGet.Path, container.StartupProbe.HttpGet.Port.Value));
            Assert.Equal((HealthRoutes.ReadyPath, ClusterOptions.ManagementPortName), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Port.Value));
        }
        foreach (var service in manifests.Of<V1Service>())
        {
            var targets = manifests.Workloads.Where(w => Manifests.Selects(service.Spec.Selector, w.Labels)).ToList();
            foreach (var port in service.Spec.Ports)
                Assert.True(targets.All(t => t.Pod.Containers.SelectMany(c => c.Ports).Any(p => p.Name == port.TargetPort.Value && p.ContainerPort == port.Port)),
                    $"{kustomization}: Service {service.Metadata.Name} port {port.Name} targets {port.TargetPort.Value}, not a port {port.Port} of every pod it selects");
        }
        var api = manifests.Single<V1Service>("clustertrain-api");
        Assert.Equal([Api.Port, Api.HttpPort], api.Spec.Ports.Select(p => p.Port));
        Assert.Equal("None", manifests.Single<V1Service>("clustertrain-cluster").Spec.ClusterIP);
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Members_run_as_a_service_account_bound_to_a_role_that_may_list_pods(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);
        var accounts = manifests.Members.Select(m => m.Pod.ServiceAccountName).Distinct().ToList();

        var account = Assert.Single(accounts);
        Assert.Single(manifests.Of<V1ServiceAccount>(), a => a.Metadata.Name == account);
        var binding = Assert.Single(manifests.Of<V1RoleBinding>(), b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == account && s.NamespaceProperty == Namespace));
        var role = manifests.Single<V1Role>(binding.RoleRef.Name);
        Assert.Equal("Role", binding.RoleRef.Kind);
        Assert.Contains(role.Rules, r => r.Resources.Contains("pods") && r.ApiGroups.Contains("") && new[] { "get", "watch", "list" }.All(r.Verbs.Contains));
    }

    [SkippableTheory]
    [MemberData(nameof(GpuKustomizations))]
    public void Training_nodes_of_the_GPU_overlays_get_GPUs_and_land_on_GPU_machines(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);
        var node = Assert.Single(manifests.Members, m => m.Component == "node");
        var container = Assert.Single(node.Pod.Containers);

        Assert.Equal("1", container.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Contains("gpu-node", container.Image);
        Assert.Contains(node.Pod.Tolerations, t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule");
        Assert.NotEmpty(node.Pod.NodeSelector);
        // Slots follow the GPUs the node sees: a fixed count would put two trials on one device or leave one idle.
        Assert.False(manifests.EnvironmentOf(container).ContainsKey("CLUSTERTRAIN_NODE__SLOTS"));
        Assert.DoesNotContain(manifests.Members.Where(m => m.Component == "coordinator").SelectMany(m => m.Pod.Containers), c => c.Resources.Limits?.ContainsKey("nvidia.com/gpu") == true);
    }

    [SkippableFact]
    public void The_CPU_overlay_asks_for_no_GPU()
    {
        var manifests = Manifests.Build("overlays/cpu");

        Assert.All(manifests.Workloads.SelectMany(w => w.Pod.Containers), c => Assert.False(c.Resources.Limits?.ContainsKey("nvidia.com/gpu") == true, c.Name));
        Assert.All(manifests.Members.Where(m => m.Component == "node").SelectMany(m => m.Pod.Containers), c => Assert.Contains("cpu-node", c.Image));
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Members_share_a_read_write_many_checkpoint_volume_at_the_checkpoint_root_and_outlast_their_shutdown(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);

        foreach (var member in manifests.Members)
        {
            var container = Assert.Single(member.Pod.Containers);
            var configuration = ClusterTrainConfiguration.Load(settingsFile: null, manifests.EnvironmentOf(container));
            var checkpointRoot = ClusterTrainConfiguration.Node(configuration).CheckpointRoot ?? ClusterTrainConfiguration.Coordinator(configuration).CheckpointRoot;
            var mount = Assert.Single(container.VolumeMounts, m => m.MountPath == checkpointRoot);
            var claim = member.Pod.Volumes.Single(v => v.Name == mount.Name).PersistentVolumeClaim.ClaimName;
            Assert.Contains("ReadWriteMany", manifests.Single<V1PersistentVolumeClaim>(claim).Spec.AccessModes);

            // A node's trials get StopGrace to checkpoint (the node waits StopMargin longer for them), then the member
            // leaves the cluster (Akka's phases, about 10 s); Kubernetes kills the pod when its grace period ends, so
            // the period must be longer than both.
            var stopGrace = ClusterTrainConfiguration.Node(configuration).StopGrace + NodeHosting.StopMargin;
            var leave = TimeSpan.FromSeconds(20);
            Assert.True(member.Pod.TerminationGracePeriodSeconds > (member.Component == "node" ? stopGrace + leave : leave).TotalSeconds,
                $"{kustomization}: {member.Name} has {member.Pod.TerminationGracePeriodSeconds} s to stop");
            Assert.True(member.Pod.SecurityContext.RunAsNonRoot);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Members_reach_each_other_on_remoting_and_management_and_clients_reach_only_the_API_and_dashboard(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);
        var policies = manifests.Of<V1NetworkPolicy>().ToList();

        foreach (var member in manifests.Members)
        {
            var applying = policies.Where(p => Manifests.Selects(p.Spec.PodSelector.MatchLabels, member.Labels)).ToList();
            Assert.NotEmpty(applying);
            var rules = applying.SelectMany(p => p.Spec.Ingress).ToList();
            var open = rules.Where(r => r.FromProperty is null or { Count: 0 }).SelectMany(r => r.Ports).Select(p => p.Port.Value).ToList();
            var membersOnly = rules.Where(r => r.FromProperty?.All(f => Manifests.Selects(f.PodSelector?.MatchLabels, member.Labels) && f.NamespaceSelector is null && f.IpBlock is null) == true)
                .SelectMany(r => r.Ports).Select(p => p.Port.Value).ToList();

            Assert.Equal(member.Component == "coordinator" ? [Api.Port.ToString(), Api.HttpPort.ToString()] : [], open);
            Assert.Contains("4053", membersOnly);
            Assert.Contains(ClusterOptions.DefaultManagementPort.ToString(), membersOnly);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Every_namespaced_object_lands_in_the_clustertrain_namespace_and_secrets_hold_placeholders_only(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);

        foreach (var item in manifests.Objects.Cast<IMetadata<V1ObjectMeta>>().Where(o => o is not V1Namespace))
            Assert.True(item.Metadata.NamespaceProperty == Namespace, $"{kustomization}: {item.Metadata.Name} is in namespace '{item.Metadata.NamespaceProperty}'");
        foreach (var secret in manifests.Of<V1Secret>())
            Assert.All(secret.StringData.Values, v => Assert.True(v == "" || v.Contains("replace-me"), $"{kustomization}: Secret {secret.Metadata.Name} holds a value that is not a placeholder"));
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void The_coordinator_serves_its_API_on_every_pod_address_with_the_token_of_the_mounted_secret(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);
        var coordinator = Assert.Single(manifests.Members, m => m.Component == "coordinator");
        var container = Assert.Single(coordinator.Pod.Containers);
        var api = ClusterTrainConfiguration.Api(ClusterTrainConfiguration.Load(settingsFile: null, manifests.EnvironmentOf(container)));

        // The Service forwards to the pod's address: an API bound to loopback would refuse every client.
        Assert.Equal("0.0.0.0", api.Hostname);
        var mount = Assert.Single(container.VolumeMounts, m => api.TokenFile.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        var secret = coordinator.Pod.Volumes.Single(v => v.Name == mount.Name).Secret;
        Assert.NotNull(secret);
        Assert.Contains(Path.GetFileName(api.TokenFile), manifests.Single<V1Secret>(secret.SecretName).StringData.Keys);
    }

    [SkippableFact]
    public void The_postgres_overlay_journals_to_PostgreSQL_with_the_connection_string_from_a_secret()
    {
        var manifests = Manifests.Build("overlays/postgres");
        var coordinator = Assert.Single(manifests.Members, m => m.Component == "coordinator");
        var container = Assert.Single(coordinator.Pod.Containers);
        var persistence = ClusterTrainConfiguration.Persistence(ClusterTrainConfiguration.Load(settingsFile: null, manifests.EnvironmentOf(container)));

        Assert.Equal(PersistenceOptions.PostgreSql, persistence.Provider);
        var connection = Assert.Single(container.Env, e => e.Name == "CLUSTERTRAIN_PERSISTENCE__CONNECTIONSTRING");
        Assert.Equal("clustertrain-postgres", connection.ValueFrom.SecretKeyRef.Name);
        var database = manifests.Single<V1StatefulSet>("clustertrain-postgres");
        var service = manifests.Single<V1Service>("clustertrain-postgres");
        Assert.True(Manifests.Selects(service.Spec.Selector, database.Spec.Template.Metadata.Labels));
        Assert.Contains($"Host={service.Metadata.Name};Port={service.Spec.Ports.Single().Port}", persistence.ConnectionString);
    }

    /// <summary>The API's defaults: the manifests leave the ports alone.</summary>
    private static readonly ApiOptions Api = new();

    private static IEnumerable<string> NamedFiles(string kustomization)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(kustomization)) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var folder = Path.GetDirectoryName(kustomization)!;
        var entries = new List<string>();
        if (root.Children.TryGetValue(new YamlScalarNode("resources"), out var resources))
            entries.AddRange(((YamlSequenceNode)resources).Children.Select(n => ((YamlScalarNode)n).Value!));
        if (root.Children.TryGetValue(new YamlScalarNode("patches"), out var patches))
            entries.AddRange(((YamlSequenceNode)patches).Children.Select(n => ((YamlScalarNode)((YamlMappingNode)n).Children[new YamlScalarNode("path")]).Value!));
        return entries.Select(e => Path.GetFullPath(Path.Combine(folder, e)));
    }
}
