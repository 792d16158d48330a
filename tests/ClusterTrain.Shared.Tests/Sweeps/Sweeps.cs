using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Tests.Common;

namespace ClusterTrain.Shared.Tests.Sweeps;

/// <summary>Reading sweep specs in tests.</summary>
internal static class Sweeps
{
    public static string QuickstartPath { get; } =
        Path.Combine(SharedData.RepositoryRoot, "tests", "ClusterTrain.Shared.Tests", "Sweeps", "Fixtures", "quickstart.yaml");

    /// <summary>The smallest valid spec, to which a test adds the lines it is about.</summary>
    public const string Minimal = "name: s\nfixed: { model.family: cifar-resnet, model.depth: 20 }\n";

    public static SweepSpec Parse(string yaml, string? folder = null, SweepLimits? limits = null) =>
        SweepFile.Parse(yaml, "sweep.yaml", folder ?? Path.GetTempPath(), limits);

    /// <summary>The problems Parse reports, as "file:line: path: message"; fails the test when it reports none.</summary>
    public static IReadOnlyList<string> Problems(string yaml, string? folder = null, SweepLimits? limits = null) =>
        Assert.Throws<ConfigException>(() => Parse(yaml, folder, limits)).Problems.Select(p => p.ToString()).ToList();
}
