using System.Text.RegularExpressions;
using ClusterTrain.Coordinator.Cli;

namespace ClusterTrain.Cli.Tests;

// Console output is process-wide: these tests redirect it, so they run one at a time.
[Collection(nameof(ConsoleRedirected))]
public class BenchCommandTests
{
    private static async Task<(int ExitCode, string Output, string Errors)> Run(params string[] args)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(errors);
        try
        {
            var exitCode = await ClusterTrainCli.RunAsync(args);
            return (exitCode, output.ToString(), errors.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }

    [Fact]
    public async Task Bench_training_reports_the_model_with_its_trainer_to_bare_ratio()
    {
        var (exitCode, output, errors) = await Run("bench", "training", "--models", "resnet-20", "--steps", "2", "--warmup", "1", "--batch-size", "8");

        Assert.True(exitCode == ExitCodes.Success, errors);
        // model, batch, warmup, steps, trainer img/s, bare img/s, trainer/bare
        Assert.Matches(new Regex(@"^ResNet-20\s+8\s+1\s+2\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d%", RegexOptions.Multiline), output);
        Assert.Contains("GEMM 1024x1024x1024", output);
        Assert.Contains("bench training --models resnet-20", output);
    }

    [Fact]
    public async Task Bench_training_with_markdown_adds_a_table_for_the_docs()
    {
        var (exitCode, output, errors) = await Run("bench", "training", "--models", "plain-20", "--steps", "1", "--warmup", "1",
            "--batch-size", "4", "--markdown");

        Assert.True(exitCode == ExitCodes.Success, errors);
        Assert.Matches(new Regex(@"^\| plain-20 +\| +4 \|", RegexOptions.Multiline), output);
        Assert.Contains("Command: `clustertrain bench training --models plain-20", output);
    }

    [Fact]
    public async Task Bench_gradstats_reports_the_overhead_of_each_stats_interval()
    {
        var (exitCode, output, errors) = await Run("bench", "gradstats", "--model", "resnet-20", "--steps", "2", "--warmup", "1", "--batch-size", "8");

        Assert.True(exitCode == ExitCodes.Success, errors);
        Assert.Matches(new Regex(@"^never\s+\d+\.\d\s+0\s+-", RegexOptions.Multiline), output);
        // Timed steps 1 and 2: none is a multiple of 10, both take a snapshot when every step does.
        Assert.Matches(new Regex(@"^every 10th step\s+\d+\.\d\s+0\s+[+-]\d+\.\d\d%", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^every step\s+\d+\.\d\s+2\s+[+-]\d+\.\d\d%", RegexOptions.Multiline), output);
        Assert.Contains("snapshot alone", output);
    }

    [Theory]
    [InlineData("resnet-20,vgg-16", "vgg-16")]
    [InlineData("resnet-21", "resnet-21")]
    [InlineData(",", "no model")]
    public async Task Bench_training_refuses_an_unknown_model_naming_it(string models, string named)
    {
        var (exitCode, output, errors) = await Run("bench", "training", "--models", models);

        Assert.Equal(ExitCodes.BadInput, exitCode);
        Assert.Contains(named, errors);
        Assert.Empty(output);
    }

    [Fact]
    public async Task Bench_gradstats_refuses_an_unknown_model_naming_it()
    {
        var (exitCode, _, errors) = await Run("bench", "gradstats", "--model", "plain-7");

        Assert.Equal(ExitCodes.BadInput, exitCode);
        Assert.Contains("'plain-7'", errors);
    }

    [Theory]
    [InlineData("--steps", "0")]
    [InlineData("--batch-size", "-1")]
    [InlineData("--warmup", "0")]
    [InlineData("--threads", "-1")]
    public async Task Bench_refuses_counts_out_of_range_naming_the_option(string option, string value)
    {
        var (exitCode, _, errors) = await Run("bench", "training", "--models", "resnet-20", option, value);

        Assert.Equal(ExitCodes.BadInput, exitCode);
        Assert.Contains($"{option} must be", errors);
        Assert.Contains(value, errors);
    }

    [Fact]
    public async Task Bench_coordinator_runs_a_small_simulated_sweep_to_the_end_and_reports_its_overhead()
    {
        var (exitCode, output, errors) = await Run("bench", "coordinator", "--trials", "20", "--trial-seconds", "0.05",
            "--nodes", "2", "--slots-per-node", "2", "--steps", "4", "--stats-every", "2");

        Assert.True(exitCode == ExitCodes.Success, errors);
        Assert.Contains("clustertrain bench coordinator --trials 20", output);
        Assert.Matches(new Regex(@"^completed:\s+20 of 20 \(0 failed", RegexOptions.Multiline), output);
        // Snapshots at steps 0 and 2 of each trial's 4.
        Assert.Matches(new Regex(@"^statistics stored:\s+40 snapshots \(expected 40\)", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^ideal minimum:\s+0\.25 s \(ceil\(20 / 4\) x 0\.05 s\)", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^wall time:\s+\d+\.\d\d s", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^overhead:\s+[+-]\d+\.\d\d%", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^working set:\s+\d+ MiB before", RegexOptions.Multiline), output);
        Assert.Contains("the nodes run in this process", output);
    }

    [Theory]
    [InlineData("--trials", "0")]
    [InlineData("--nodes", "0")]
    [InlineData("--slots-per-node", "-2")]
    [InlineData("--trial-seconds", "0")]
    [InlineData("--steps", "0")]
    [InlineData("--stats-every", "0")]
    [InlineData("--node-processes", "-1")]
    public async Task Bench_coordinator_refuses_values_out_of_range_naming_the_option(string option, string value)
    {
        var (exitCode, output, errors) = await Run("bench", "coordinator", option, value);

        Assert.Equal(ExitCodes.BadInput, exitCode);
        Assert.Contains($"{option} must be", errors);
        Assert.Empty(output);
    }

    [Fact]
    public async Task Bench_refuses_an_unknown_device_naming_it()
    {
        var (exitCode, output, errors) = await Run("bench", "training", "--models", "resnet-20", "--device", "tpu");

        Assert.Equal(ExitCodes.BadInput, exitCode);
        Assert.Contains("'tpu'", errors);
        Assert.Empty(output);
    }
}

[CollectionDefinition(nameof(ConsoleRedirected), DisableParallelization = true)]
public sealed class ConsoleRedirected;
