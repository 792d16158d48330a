using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Tests.Sweeps;

/// <summary>The files in examples/ are what a new user runs first: each must read as it stands.</summary>
public class ExampleFileTests
{
    private static readonly string[] SweepNames = ["quickstart.yaml", "cifar10-depth.yaml"];
    private const string TrialName = "cifar10-resnet20.yaml";

    public static TheoryData<string> SweepExamples => new(SweepNames);

    [SkippableTheory]
    [MemberData(nameof(SweepExamples))]
    public void Every_example_sweep_reads_and_expands_into_plain_and_residual_trials(string name)
    {
        if (name.StartsWith("cifar10", StringComparison.Ordinal)) SharedData.Require("cifar10/test_batch.bin");

        var spec = SweepFile.Load(Example(name));
        var trials = spec.Expand();

        Assert.Contains(trials, t => t.Config.Model.Shortcuts);
        Assert.Contains(trials, t => !t.Config.Model.Shortcuts);
    }

    [SkippableFact]
    public void The_example_trial_file_reads()
    {
        SharedData.Require("cifar10/data_batch_1.bin");

        var config = TrialFile.Load(Example(TrialName));

        Assert.Equal(20, config.Model.Depth);
    }

    [Fact]
    public void Every_file_in_examples_is_covered_here()
    {
        var names = Directory.GetFiles(Path.Combine(SharedData.RepositoryRoot, "examples"), "*.yaml").Select(f => Path.GetFileName(f)).Order();

        Assert.Equal(SweepNames.Append(TrialName).Order(), names);
    }

    private static string Example(string name) => Path.Combine(SharedData.RepositoryRoot, "examples", name);
}
