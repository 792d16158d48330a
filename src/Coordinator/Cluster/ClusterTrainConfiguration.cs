using System.Collections;
using ClusterTrain.GpuNode.Cluster;
using Microsoft.Extensions.Configuration;

namespace ClusterTrain.Coordinator.Cluster;

/// <summary>
/// Reads the cluster settings: an optional appsettings.json (section "ClusterTrain"), then environment
/// variables <c>CLUSTERTRAIN_SECTION__KEY</c> (e.g. <c>CLUSTERTRAIN_CLUSTER__PORT</c>, list items as
/// <c>CLUSTERTRAIN_CLUSTER__SEEDNODES__0</c>), which win. docs/configuration.md lists every key.
/// </summary>
public static class ClusterTrainConfiguration
{
    public const string EnvironmentPrefix = "CLUSTERTRAIN_";

    /// <param name="settingsFile">A JSON settings file, used when it exists.</param>
    /// <param name="environment">Variables to read; the process's by default.</param>
    public static IConfiguration Load(string? settingsFile = "appsettings.json", IDictionary? environment = null)
    {
        var builder = new ConfigurationBuilder();
        if (settingsFile is not null && File.Exists(settingsFile))
            builder.AddJsonFile(Path.GetFullPath(settingsFile), optional: true);
        return builder.AddInMemoryCollection(FromEnvironment(environment ?? Environment.GetEnvironmentVariables())).Build();
    }

    public static ClusterOptions Cluster(IConfiguration configuration) => Bind<ClusterOptions>(configuration, ClusterOptions.Section);

    public static CoordinatorOptions Coordinator(IConfiguration configuration) => Bind<CoordinatorOptions>(configuration, CoordinatorOptions.Section);

    public static NodeOptions Node(IConfiguration configuration) => Bind<NodeOptions>(configuration, NodeOptions.Section);

    public static Api.ApiOptions Api(IConfiguration configuration) => Bind<Api.ApiOptions>(configuration, ClusterTrain.Coordinator.Api.ApiOptions.Section);

    public static PersistenceOptions Persistence(IConfiguration configuration) => Bind<PersistenceOptions>(configuration, PersistenceOptions.Section);

    /// <summary>CLUSTERTRAIN_CLUSTER__SEEDNODES__0 as the key ClusterTrain:CLUSTER:SEEDNODES:0 (keys ignore case).</summary>
    private static IEnumerable<KeyValuePair<string, string?>> FromEnvironment(IDictionary environment)
    {
        foreach (DictionaryEntry entry in environment)
            if (entry.Key is string name && name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                yield return new($"ClusterTrain:{name[EnvironmentPrefix.Length..].Replace("__", ":")}", entry.Value as string);
    }

    private static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        var options = new T();
        configuration.GetSection(section).Bind(options);
        return options;
    }
}
