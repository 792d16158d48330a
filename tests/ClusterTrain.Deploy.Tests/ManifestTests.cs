using ClusterTrain.Coordinator.Api;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;
using k8s;
using k8s.Models;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Deploy.Tests;

/// <summary>
/// deploy/k8s against the app: every kustomization is built offline with kubectl and every check runs on what it
/// outputs, so overlays are checked as they would be applied.
/// </summary>
public partial class ManifestTests
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

    private const string Coordinator = "StatefulSet/clustertrain-coordinator";
    private const string Node = "Deployment/clustertrain-node";
    private const string Postgres = "StatefulSet/clustertrain-postgres";

    /// <summary>
    /// The pods each Service, PodDisruptionBudget and NetworkPolicy is for, exactly: a budget that also selected the
    /// coordinator would let a drain wait on it, a Service that also selected the database would send it clients.
    /// </summary>
    private static readonly Dictionary<string, string[]> IntendedPods = new()
    {
        ["Service/clustertrain-cluster"] = [Coordinator, Node],
        ["Service/clustertrain-api"] = [Coordinator],
        ["Service/clustertrain-postgres"] = [Postgres],
        ["PodDisruptionBudget/clustertrain-node"] = [Node],
        ["NetworkPolicy/clustertrain-members"] = [Coordinator, Node],
        ["NetworkPolicy/clustertrain-api"] = [Coordinator],
        ["NetworkPolicy/clustertrain-postgres"] = [Postgres],
    };

    /// <summary>The pods each NetworkPolicy admits traffic from (none listed: from anywhere).</summary>
    private static readonly Dictionary<string, string[]> IntendedPeers = new()
    {
        ["NetworkPolicy/clustertrain-members"] = [Coordinator, Node],
        ["NetworkPolicy/clustertrain-postgres"] = [Coordinator],
    };

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Selectors_of_workloads_services_budgets_and_policies_select_exactly_the_pods_they_are_meant_for(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);
        var pods = manifests.Workloads.ToList();
        IEnumerable<string> Selected(IDictionary<string, string>? selector) => pods.Where(p => Manifests.Selects(selector, p.Labels)).Select(p => p.Name).Order();
        var selectors = manifests.Of<V1Service>().Select(s => ($"Service/{s.Metadata.Name}", s.Spec.Selector))
            .Concat(manifests.Of<V1PodDisruptionBudget>().Select(b => ($"PodDisruptionBudget/{b.Metadata.Name}", b.Spec.Selector.MatchLabels)))
            .Concat(manifests.Of<V1NetworkPolicy>().Select(n => ($"NetworkPolicy/{n.Metadata.Name}", n.Spec.PodSelector.MatchLabels)));

        // A workload whose selector took another's pods too would fight it over them.
        foreach (var workload in pods)
            Assert.True(Selected(workload.Selector.MatchLabels).SequenceEqual([workload.Name]), $"{kustomization}: {workload.Name} selects {string.Join(", ", Selected(workload.Selector.MatchLabels))}, not exactly its own pods");
        foreach (var (name, selector) in selectors)
        {
            Assert.True(IntendedPods.TryGetValue(name, out var intended), $"{kustomization}: {name} is new; add the pods it is for to {nameof(IntendedPods)}");
            var expected = intended.Intersect(pods.Select(p => p.Name)).Order().ToList();
            Assert.NotEmpty(expected);
            Assert.True(Selected(selector).SequenceEqual(expected), $"{kustomization}: {name} selects [{string.Join(", ", Selected(selector))}], meant for [{string.Join(", ", expected)}]");
        }
        foreach (var policy in manifests.Of<V1NetworkPolicy>())
        {
            var name = $"NetworkPolicy/{policy.Metadata.Name}";
            var peers = policy.Spec.Ingress.SelectMany(r => r.FromProperty ?? []).ToList();
            if (!IntendedPeers.TryGetValue(name, out var intended))
            {
                Assert.True(peers.Count == 0, $"{kustomization}: {name} admits peers; add them to {nameof(IntendedPeers)}");
                continue;
            }
            Assert.All(peers, peer => Assert.True(peer.NamespaceSelector is null && peer.IpBlock is null && Selected(peer.PodSelector?.MatchLabels).SequenceEqual(intended.Order()),
                $"{kustomization}: {name} admits [{string.Join(", ", Selected(peer.PodSelector?.MatchLabels))}], meant for [{string.Join(", ", intended.Order())}]"));
        }

        // Cluster bootstrap must find every member, and only members (a database pod has no management port).
        var coordinator = Assert.Single(manifests.Members, m => m.Component == "coordinator");
        var bootstrap = Manifests.ParseSelector(manifests.EnvironmentOf(coordinator.Pod.Containers.Single())["CLUSTERTRAIN_CLUSTER__BOOTSTRAP__PODLABELSELECTOR"]);
        Assert.Equal(manifests.Members.Select(m => m.Name), pods.Where(p => Manifests.Selects(bootstrap, p.Labels)).Select(p => p.Name));
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

        // Any whole number of GPUs: the overlay invites raising it to run several trials per pod.
        var gpus = container.Resources.Limits["nvidia.com/gpu"].ToString();
        Assert.True(int.TryParse(gpus, out var count) && count > 0, $"{kustomization}: nvidia.com/gpu limit {gpus} is not a positive whole number");
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
            // A volume full of checkpoints is not walked recursively at every pod start.
            Assert.Equal("OnRootMismatch", member.Pod.SecurityContext.FsGroupChangePolicy);
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
    public void Every_namespaced_object_lands_in_the_clustertrain_namespace_and_no_kustomization_carries_a_Secret(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);

        foreach (var item in manifests.Objects.Cast<IMetadata<V1ObjectMeta>>().Where(o => o is not V1Namespace))
            Assert.True(item.Metadata.NamespaceProperty == Namespace, $"{kustomization}: {item.Metadata.Name} is in namespace '{item.Metadata.NamespaceProperty}'");
        // Users create the Secrets before applying; one in the output would overwrite theirs on every apply.
        Assert.True(!manifests.Of<V1Secret>().Any(), $"{kustomization}: carries Secret {string.Join(", ", manifests.Of<V1Secret>().Select(x => x.Metadata.Name))}, which `kubectl apply -k` would write over the user's");
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
        Assert.True(secret.Optional is null or false);
        Assert.True(DocumentedSecrets.All.TryGetValue(secret.SecretName, out var keys), $"{DocumentedSecrets.Document} does not create Secret {secret.SecretName}");
        Assert.Contains(Path.GetFileName(api.TokenFile), keys.Keys);
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

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Every_container_runs_as_non_root_without_capabilities_or_privilege_escalation_in_a_RuntimeDefault_seccomp_pod_with_an_fsGroup(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);

        Assert.All(manifests.Workloads, workload =>
        {
            var pod = workload.Pod.SecurityContext;
            Assert.True(pod?.SeccompProfile?.Type == "RuntimeDefault", $"{kustomization}: {workload.Name} has seccomp profile '{pod?.SeccompProfile?.Type}', not RuntimeDefault");
            Assert.True(pod?.FsGroup is > 0, $"{kustomization}: {workload.Name} sets no fsGroup, so its volumes may not be writable by its user");
            foreach (var container in workload.Pod.Containers.Concat(workload.Pod.InitContainers ?? []))
            {
                var own = container.SecurityContext;
                var where = $"{kustomization}: {workload.Name} container {container.Name}";
                Assert.True((own?.RunAsNonRoot ?? pod.RunAsNonRoot) == true, $"{where} may run as root (runAsNonRoot is not true)");
                Assert.True((own?.RunAsUser ?? pod.RunAsUser) is > 0, $"{where} names no non-root runAsUser");
                Assert.True(own?.AllowPrivilegeEscalation == false, $"{where} does not set allowPrivilegeEscalation: false");
                Assert.True(own?.Capabilities?.Drop?.Contains("ALL") == true, $"{where} does not drop ALL capabilities");
                Assert.True(own.Capabilities.Add is null or { Count: 0 }, $"{where} adds capabilities");
                Assert.True(own.Privileged is null or false, $"{where} is privileged");
                Assert.True(own.SeccompProfile is null || own.SeccompProfile.Type == "RuntimeDefault", $"{where} overrides the pod's seccomp profile");
            }
        });
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Training_nodes_use_as_many_threads_as_the_cores_they_request(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);
        var node = Assert.Single(manifests.Members, m => m.Component == "node");
        var container = Assert.Single(node.Pod.Containers);
        var threads = ClusterTrainConfiguration.Node(ClusterTrainConfiguration.Load(settingsFile: null, manifests.EnvironmentOf(container))).Threads;

        // Threads 0 means Environment.ProcessorCount: every core of the machine, whatever the pod asked for.
        var cores = container.Resources.Requests["cpu"].ToDecimal();
        Assert.True(threads == (int)Math.Floor(cores) && threads > 0, $"{kustomization}: the node requests {cores} cores but CLUSTERTRAIN_NODE__THREADS is {threads}");
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Members_read_a_settings_ConfigMap_whose_name_changes_with_its_content_so_edits_roll_the_pods(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);

        foreach (var member in manifests.Members)
        {
            var source = Assert.Single(member.Pod.Containers.Single().EnvFrom);
            Assert.Matches(@"^clustertrain-settings-[a-z0-9]{6,}$", source.ConfigMapRef.Name);
            Assert.NotNull(manifests.Single<V1ConfigMap>(source.ConfigMapRef.Name));
        }
        // A ConfigMap written out as a manifest file keeps its name, and pods would read old settings until restarted.
        var files = Directory.GetFiles(Repository.PathOf("deploy/k8s"), "*.yaml", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "kustomization.yaml");
        Assert.DoesNotContain(files.SelectMany(Manifests.Parse), o => o is V1ConfigMap map && map.Metadata.Name == "clustertrain-settings");
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void Every_Secret_a_pod_reads_is_created_with_that_key_by_the_commands_in_the_docs(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);

        foreach (var workload in manifests.Workloads)
        {
            foreach (var reference in workload.Pod.Containers.SelectMany(c => c.Env ?? []).Select(e => e.ValueFrom?.SecretKeyRef).OfType<V1SecretKeySelector>())
                Assert.NotNull(DocumentedSecrets.ValueOf(reference.Name, reference.Key));
            foreach (var volume in workload.Pod.Volumes?.Where(v => v.Secret is not null) ?? [])
                Assert.True(DocumentedSecrets.All.ContainsKey(volume.Secret.SecretName), $"{kustomization}: {workload.Name} mounts Secret {volume.Secret.SecretName}, which {DocumentedSecrets.Document} does not create");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public void The_documented_tear_down_that_keeps_the_data_deletes_every_object_but_the_namespace_and_the_volume_claims(string kustomization)
    {
        var manifests = Manifests.Build(kustomization);
        var command = TearDownCommand().Match(File.ReadAllText(Repository.PathOf(DocumentedSecrets.Document)).Replace("\\\n", " "));
        Assert.True(command.Success, $"{DocumentedSecrets.Document} shows no `kubectl -n clustertrain delete KIND,KIND,... -l 'LABEL in (...)'`");
        var kinds = command.Groups[1].Value.Split(',').ToHashSet(StringComparer.OrdinalIgnoreCase);
        var (label, values) = (command.Groups[2].Value, command.Groups[3].Value.Split(',', StringSplitOptions.TrimEntries));

        foreach (var item in manifests.Objects.Cast<IKubernetesObject<V1ObjectMeta>>())
        {
            var deleted = kinds.Contains(item.Kind) && values.Contains(Manifests.ValueOf(item.Metadata.Labels, label));
            var keep = item is V1Namespace or V1PersistentVolumeClaim;
            Assert.True(deleted != keep, $"{kustomization}: the documented tear-down {(deleted ? "deletes" : "leaves")} {item.Kind}/{item.Metadata.Name}");
        }
        // Deleting a StatefulSet keeps the claims of its volume templates only under the default retention policy.
        Assert.All(manifests.Of<V1StatefulSet>(), s => Assert.True(s.Spec.PersistentVolumeClaimRetentionPolicy?.WhenDeleted is null or "Retain", s.Metadata.Name));
    }

    [SkippableFact]
    public void The_users_own_overlay_in_the_docs_sets_the_images_and_the_node_count_without_editing_the_repository()
    {
        var docs = File.ReadAllText(Repository.PathOf(DocumentedSecrets.Document));
        var block = UserOverlay().Match(docs);
        Assert.True(block.Success, $"{DocumentedSecrets.Document} shows no ```yaml block starting with # clustertrain-deploy/kustomization.yaml");
        var folder = Directory.CreateTempSubdirectory("clustertrain-overlay-").FullName;
        try
        {
            // The docs put the overlay beside the clone; here the clone is the repository under test (kustomize
            // takes relative paths only).
            File.WriteAllText(Path.Combine(folder, "kustomization.yaml"), block.Groups[1].Value.Replace("../clustertrain/", Path.GetRelativePath(folder, Repository.Root) + "/"));
            var manifests = Manifests.BuildAt(folder);

            var replicas = int.Parse(Regex.Match(block.Groups[1].Value, @"count: (\d+)").Groups[1].Value);
            Assert.Equal(replicas, manifests.Single<V1Deployment>("clustertrain-node").Spec.Replicas);
            Assert.All(manifests.Members.SelectMany(m => m.Pod.Containers), c => Assert.StartsWith("registry.example.com/", c.Image));
            Assert.Contains("gpu-node", manifests.Members.Single(m => m.Component == "node").Pod.Containers.Single().Image);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex(@"kubectl -n clustertrain delete ([a-z,]+)\s+-l '([\w./-]+) in \(([\w,-]+)\)'")]
    private static partial Regex TearDownCommand();

    [GeneratedRegex(@"```yaml\n(# clustertrain-deploy/kustomization\.yaml\n.*?)```", RegexOptions.Singleline)]
    private static partial Regex UserOverlay();

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
        if (root.Children.TryGetValue(new YamlScalarNode("configMapGenerator"), out var generators))
            foreach (var generator in ((YamlSequenceNode)generators).Children.Cast<YamlMappingNode>())
                if (generator.Children.TryGetValue(new YamlScalarNode("envs"), out var envs))
                    entries.AddRange(((YamlSequenceNode)envs).Children.Select(n => ((YamlScalarNode)n).Value!));
        return entries.Select(e => Path.GetFullPath(Path.Combine(folder, e)));
    }
}
