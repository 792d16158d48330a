using static ClusterTrain.Cli.Tests.ClusterTrainProcess;

namespace ClusterTrain.Cli.Tests;

public class ValidateCommandTests
{
    [Fact]
    public async Task The_quickstart_example_expands_to_four_trials()
    {
        var examples = Path.Combine(ClusterTrain.Tests.Common.SharedData.RepositoryRoot, "examples");

        var run = await RunAsync(examples, "validate", "quickstart.yaml");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("plain-20", run.Stdout);
        Assert.Contains("ResNet-20", run.Stdout);
        Assert.Contains("4 trials (4 grid combinations x 1 seed)", run.Stdout);
    }

    [Fact]
    public async Task A_spec_with_problems_exits_2_and_lists_all_of_them()
    {
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "sweep.yaml"),
            "name: s\nfixed:\n  model.family: cifar-resnet\ngrid:\n  model.depth: [20, 21, 20]\n  optimizer.lr: [0]\n");

        var run = await RunAsync(folder, "validate", "sweep.yaml");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("sweep.yaml:5:", run.Stderr);
        Assert.Contains("20 appears twice", run.Stderr);
        Assert.Contains("sweep.yaml:6:", run.Stderr);
    }

    [Fact]
    public async Task Malformed_yaml_exits_2_with_the_line()
    {
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "sweep.yaml"), "name: s\ngrid:\n  model.depth: [20, 32\n");

        var run = await RunAsync(folder, "validate", "sweep.yaml");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("sweep.yaml:", run.Stderr);
    }
}
