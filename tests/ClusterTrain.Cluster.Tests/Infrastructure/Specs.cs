using ClusterTrain.Shared.Sweeps;

namespace ClusterTrain.Cluster.Tests.Infrastructure;

/// <summary>Sweep specs for coordinator tests: synthetic data, so nothing on disk is needed.</summary>
internal static class Specs
{
    /// <summary>Four trials: depth 20 and 32, plain and residual, one seed.</summary>
    public static string FourTrials(int concurrency = 0, int maxAttempts = 3, string name = "four") => $$"""
        name: {{name}}
        data: { kind: synthetic }
        fixed: { model.family: cifar-resnet, epochs: 1 }
        grid: { model.depth: [20, 32], model.shortcuts: [false, true] }
        retries: { max_attempts: {{maxAttempts}} }
        concurrency: {{concurrency}}
        """;

    /// <summary>One configuration run with two seeds.</summary>
    public const string TwoSeeds = """
        name: seeds
        data: { kind: synthetic }
        fixed: { model.family: cifar-resnet, model.depth: 20, epochs: 1 }
        seeds: [0, 1]
        """;

    /// <summary>The trials a spec expands to, in the order the coordinator hands them out.</summary>
    public static IReadOnlyList<TrialSpec> Expand(string yaml) => SweepFile.Parse(yaml, "sweep.yaml", Path.GetTempPath()).Expand();
}
