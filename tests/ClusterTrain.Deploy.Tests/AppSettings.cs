using System.Collections;
using System.Reflection;
using ClusterTrain.Coordinator.Cluster;
using ClusterTrain.GpuNode.Cluster;

namespace ClusterTrain.Deploy.Tests;

/// <summary>
/// What the app reads, derived from its options classes (every class with a <c>const string Section</c> under
/// "ClusterTrain:"), so that a new or renamed option is seen here without editing a list.
/// </summary>
internal static class AppSettings
{
    private static readonly Assembly[] AppAssemblies = [typeof(ClusterOptions).Assembly, typeof(CoordinatorOptions).Assembly];

    /// <summary>Option classes by section, e.g. "ClusterTrain:Cluster" to <see cref="ClusterOptions"/>.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = AppAssemblies
        .SelectMany(a => a.GetTypes())
        .Select(t => (Type: t, Section: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
        .Where(x => x.Section?.StartsWith("ClusterTrain:", StringComparison.Ordinal) == true)
        .ToDictionary(x => x.Section!, x => x.Type);

    /// <summary>
    /// Every environment variable the app binds, as a pattern: <c>CLUSTERTRAIN_CLUSTER__PORT</c>, and list items as
    /// <c>CLUSTERTRAIN_CLUSTER__SEEDNODES__#</c> (# standing for an index).
    /// </summary>
    public static IReadOnlySet<string> EnvironmentVariables { get; } = Sections
        .SelectMany(s => Keys(s.Value, ClusterTrainConfiguration.EnvironmentPrefix + string.Join("__", s.Key.Split(':').Skip(1)).ToUpperInvariant()))
        .ToHashSet();

    /// <summary>Whether the app reads <paramref name="name"/>.</summary>
    public static bool Reads(string name) =>
        EnvironmentVariables.Contains(name)
        || EnvironmentVariables.Contains(System.Text.RegularExpressions.Regex.Replace(name, @"__\d+$", "__#"));

    /// <summary>The default of property <paramref name="property"/> of the options class of <paramref name="section"/>, if there is one.</summary>
    public static object? DefaultOf(string section, string property) =>
        Sections.TryGetValue(section, out var type) ? type.GetProperty(property)?.GetValue(Activator.CreateInstance(type)) : null;

    private static IEnumerable<string> Keys(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0))
        {
            var name = $"{prefix}__{property.Name.ToUpperInvariant()}";
            var kind = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsScalar(kind)) yield return name;
            else if (typeof(IEnumerable).IsAssignableFrom(kind)) yield return $"{name}__#";
            else foreach (var nested in Keys(kind, name)) yield return nested;
        }
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri);
}
