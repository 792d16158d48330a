using System.Diagnostics;
using k8s;
using k8s.Models;

namespace ClusterTrain.Deploy.Tests;

/// <summary>Kubernetes objects as a kustomization builds them, read with the KubernetesClient YAML loader.</summary>
internal sealed class Manifests
{
    public const string Kubectl = "kubectl";

    /// <summary>The label every member pod carries, and no other pod.</summary>
    public const string MemberLabel = "app.kubernetes.io/part-of";
    public const string MemberValue = "clustertrain";
    public const string ComponentLabel = "app.kubernetes.io/component";

    private Manifests(string name, IReadOnlyList<object> objects)
    {
        Name = name;
        Objects = objects;
    }

    public string Name { get; }

    public IReadOnlyList<object> Objects { get; }

    public IEnumerable<T> Of<T>() => Objects.OfType<T>();

    /// <summary>Deployments and StatefulSets, with what they run.</summary>
    public IEnumerable<Workload> Workloads =>
        Of<V1Deployment>().Select(d => new Workload($"Deployment/{d.Metadata.Name}", d.Spec.Selector, d.Spec.Template))
            .Concat(Of<V1StatefulSet>().Select(s => new Workload($"StatefulSet/{s.Metadata.Name}", s.Spec.Selector, s.Spec.Template)));

    /// <summary>Workloads whose pods are ClusterTrain members.</summary>
    public IEnumerable<Workload> Members => Workloads.Where(w => ValueOf(w.Labels, MemberLabel) == MemberValue);

    public T Single<T>(string name) where T : IMetadata<V1ObjectMeta> =>
        Of<T>().SingleOrDefault(o => o.Metadata.Name == name) ?? throw new InvalidOperationException($"{Name}: no {typeof(T).Name} named {name}");

    /// <summary>
    /// <c>kubectl kustomize DIR</c> (offline: it needs no cluster), parsed; skips when kubectl is not installed.
    /// </summary>
    /// <param name="folder">Relative to deploy/k8s, e.g. "overlays/gpu".</param>
    public static Manifests Build(string folder)
    {
        Skip.If(FindOnPath(Kubectl) is null, $"kubectl is not installed, so the kustomization {folder} cannot be built here (the files themselves are still parsed by Every_manifest_file_parses_as_Kubernetes_objects)");
        // One build per kustomization for the whole run: each takes kubectl about a second.
        return Built.GetOrAdd(folder, f => new Lazy<Manifests>(() => Kustomize(Repository.PathOf($"deploy/k8s/{f}"), f))).Value;
    }

    /// <summary><c>kubectl kustomize PATH</c> for a kustomization outside deploy/k8s (a user's overlay), not cached.</summary>
    public static Manifests BuildAt(string path)
    {
        Skip.If(FindOnPath(Kubectl) is null, $"kubectl is not installed, so the kustomization {path} cannot be built here");
        return Kustomize(path, path);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Manifests>> Built = new();

    private static Manifests Kustomize(string path, string folder)
    {
        var start = new ProcessStartInfo(Kubectl, ["kustomize", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"kubectl kustomize {path} failed ({process.ExitCode}): {error.Result}");
        return new Manifests(folder, KubernetesYaml.LoadAllFromString(output.Result));
    }

    public static IReadOnlyList<object> Parse(string file) => KubernetesYaml.LoadAllFromString(File.ReadAllText(file));

    /// <summary>Whether every key of <paramref name="selector"/> is in <paramref name="labels"/> with the same value.</summary>
    public static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is { Count: > 0 } && labels is not null && selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    /// <summary>A label selector string such as "a=b,c=d" as a dictionary.</summary>
    public static Dictionary<string, string> ParseSelector(string selector) =>
        selector.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(term => term.Split('=', 2))
            .ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim());

    /// <summary>The value of <paramref name="key"/>, or null where there is none.</summary>
    public static string? ValueOf(IDictionary<string, string>? values, string key) =>
        values is not null && values.TryGetValue(key, out var value) ? value : null;

    /// <summary>
    /// The environment a container starts with: its ConfigMaps, then its own variables; a pod IP for
    /// <c>status.podIP</c>; for a secret reference, the value docs/kubernetes.md creates the Secret with (no
    /// kustomization carries a Secret: users create them).
    /// </summary>

    public Dictionary<string, string> EnvironmentOf(V1Container container)
    {
        var environment = new Dictionary<string, string>();
        foreach (var source in container.EnvFrom ?? [])
        {
            var map = Single<V1ConfigMap>(source.ConfigMapRef?.Name ?? throw new InvalidOperationException($"{container.Name}: envFrom other than a ConfigMap"));
            foreach (var (key, value) in map.Data) environment[key] = value;
        }
        foreach (var variable in container.Env ?? [])
            environment[variable.Name] = variable.Value
                ?? (variable.ValueFrom?.FieldRef?.FieldPath == "status.podIP" ? "10.1.2.3" : null)
                ?? (variable.ValueFrom?.SecretKeyRef is { } secret ? DocumentedSecrets.ValueOf(secret.Name, secret.Key) : null)
                ?? throw new InvalidOperationException($"{container.Name}: {variable.Name} has a value source this test does not know");
        return environment;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
}

internal sealed record Workload(string Name, V1LabelSelector Selector, V1PodTemplateSpec Template)
{
    public IDictionary<string, string> Labels => Template.Metadata.Labels;

    public V1PodSpec Pod => Template.Spec;

    public string? Component => Manifests.ValueOf(Labels, Manifests.ComponentLabel);
}
