using ClusterTrain.Shared.GradientStats;
using static ClusterTrain.Cli.Tests.ClusterTrainProcess;

namespace ClusterTrain.Cli.Tests;

public class TrainCommandTests
{
    private static readonly string[] TinyTrial =
    [
        "--set", "model.depth=8", "--set", "model.base_width=8", "--set", "data.synthetic_train_size=128",
        "--set", "data.synthetic_test_size=32", "--set", "batch_size=16", "--set", "epochs=1",
        "--set", "stats.every=4", "--set", "threads=1",
    ];

    [Fact]
    public async Task Training_writes_config_metrics_gradient_statistics_for_every_weight_layer_and_a_summary()
    {
        var folder = TempFolder();

        var run = await RunAsync(folder, ["train", .. TinyTrial, "--out", "out"]);

        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        Assert.Contains("completed 8 steps", run.Stdout);
        var output = Path.Combine(folder, "out");
        Assert.True(File.Exists(Path.Combine(output, "config.yaml")));
        Assert.True(File.Exists(Path.Combine(output, "summary.json")));
        Assert.Contains("\"outcome\": \"completed\"", File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Contains("\"event\":\"evaluation\"", File.ReadAllText(Path.Combine(output, "metrics.jsonl")));
        using var reader = new StreamReader(Path.Combine(output, "gradstats.csv"));
        var rows = GradientStatsCsv.Read(reader, "gradstats.csv").ToList();
        // CIFAR ResNet-8: conv1, 3 stages x 1 block x 2 convs, fc = 8 weight layers; snapshots at steps 0 and 4.
        Assert.Equal([0L, 4], rows.Select(r => r.Step).Distinct());
        Assert.Equal(8, rows.Count(r => r.Step == 0));
        Assert.Equal("conv1.weight", rows.First().Layer.Name);
        Assert.Equal("fc.weight", rows.First(r => r.Layer.Index == 7).Layer.Name);
    }

    [Fact]
    public async Task A_trial_file_with_problems_exits_2_and_names_the_file_line_and_key_of_each()
    {
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "bad.yaml"), "model:\n  family: cifar-resnet\n  depth: 21\noptimizer:\n  lr: -1\nbogus: 3\n");

        var run = await RunAsync(folder, "train", "bad.yaml", "--out", "out");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("bad.yaml:3: model.depth: ", run.Stderr);
        Assert.Contains("6n+2", run.Stderr);
        Assert.Contains("optimizer.lr", run.Stderr);
        Assert.Contains("bad.yaml:6: ", run.Stderr);
        Assert.Contains("bogus", run.Stderr);
        Assert.False(Directory.Exists(Path.Combine(folder, "out")));
    }

    [Fact]
    public async Task An_unknown_override_key_exits_2_and_names_it()
    {
        var run = await RunAsync(TempFolder(), "train", "--set", "model.dept=20");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("model.dept", run.Stderr);
    }

    [Fact]
    public async Task A_missing_dataset_folder_exits_2_and_names_the_folder()
    {
        var run = await RunAsync(TempFolder(), "train", "--set", "data.kind=cifar10", "--set", "data.path=/nonexistent/cifar");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("/nonexistent/cifar", run.Stderr);
    }

    [Fact]
    public async Task A_dataset_folder_without_cifar_files_exits_2_and_names_what_is_missing()
    {
        var folder = TempFolder();
        Directory.CreateDirectory(Path.Combine(folder, "empty"));

        var run = await RunAsync(folder, "train", "--set", "data.kind=cifar10", "--set", "data.path=empty", "--out", "out");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("data_batch_1.bin", run.Stderr);
    }

    [Fact]
    public async Task A_refused_resume_leaves_the_other_trials_files_as_they_were()
    {
        var folder = TempFolder();
        var first = await RunAsync(folder, ["train", .. TinyTrial, "--set", "max_steps=2", "--out", "out"]);
        var config = File.ReadAllText(Path.Combine(folder, "out", "config.yaml"));
        var summary = File.ReadAllText(Path.Combine(folder, "out", "summary.json"));

        var other = await RunAsync(folder, ["train", .. TinyTrial, "--set", "max_steps=2", "--set", "optimizer.lr=0.05", "--out", "out"]);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("belongs to another trial", other.Stderr);
        Assert.Equal(config, File.ReadAllText(Path.Combine(folder, "out", "config.yaml")));
        Assert.Equal(summary, File.ReadAllText(Path.Combine(folder, "out", "summary.json")));
    }

    [Fact]
    public async Task An_output_path_that_is_a_file_exits_2_and_names_it()
    {
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "afile"), "");

        var run = await RunAsync(folder, "train", "--set", "max_steps=1", "--out", "afile");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(Path.Combine(folder, "afile"), run.Stderr);
        Assert.DoesNotContain("Unhandled exception", run.Stderr);
    }
}
