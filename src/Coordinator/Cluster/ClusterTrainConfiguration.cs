using System.Collections;
using System.Text.RegularExpressions;
using ClusterTrain.GpuNode.Cluster;
using ClusterTrain.Shared;
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

    /// <summary>The environment variable of a key: ClusterTrain:Coordinator:MaxTrialsPerSweep is CLUSTERTRAIN_COORDINATOR__MAXTRIALSPERSWEEP.</summary>
    public static string VariableOf(string key)
    {
        var path = key.StartsWith("ClusterTrain:", StringComparison.OrdinalIgnoreCase) ? key["ClusterTrain:".Length..] : key;
        return EnvironmentPrefix + path.Replace(":", "__").ToUpperInvariant();
    }

    /// <summary>A problem with a setting, naming both its key and its environment variable.</summary>
    public static string Describe(Problem problem) =>
        problem.Path.StartsWith("ClusterTrain:", StringComparison.OrdinalIgnoreCase)
            ? $"{problem.Path} ({VariableOf(problem.Path)}): {problem.Message}"
            : problem.ToString();

    /// <exception cref="ConfigException">A value does not convert to its option's type; the problem names the key.</exception>
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
        try
        {
            configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key in its message ("... at 'ClusterTrain:NODE:THREADS' to type ...").
            var key = Regex.Match(e.Message, "at '([^']+)'") is { Success: true } m ? m.Groups[1].Value : section;
            var value = configuration[key] is { } v ? $"'{v}'" : "the value";
            throw new ConfigException([new Problem(key, $"{value} does not read: {e.InnerException?.Message ?? e.Message}")]);
        }
        return options;
    }
}
