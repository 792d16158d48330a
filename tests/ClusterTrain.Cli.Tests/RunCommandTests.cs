using System.Text.RegularExpressions;
using ClusterTrain.Cli.Tests.Cluster;
using static ClusterTrain.Cli.Tests.ClusterTrainProcess;

namespace ClusterTrain.Cli.Tests;

/// <summary>The embedded cluster through the real executable: a coordinator and GPU nodes over loopback, trials in child processes.</summary>
[Trait("Category", "Process")]
public class RunCommandTests
{
    private const string TinySweep = """
        name: tiny
        data: { kind: synthetic, synthetic_train_size: 64, synthetic_test_size: 16 }
        fixed: { model.family: cifar-resnet, model.depth: 8, model.base_width: 8, batch_size: 16, max_steps: 6, epochs: 10 }
        grid: { model.shortcuts: [false, true] }
        stats: { every: 2, histogram_bins: 8 }
        resources: { cpu_threads_per_trial: 1 }
        """;

    [Fact]
    public async Task A_sweep_run_writes_its_reports_and_a_second_run_of_the_same_folder_runs_nothing_again()
    {
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "tiny.yaml"), TinySweep);

        var first = await RunAsync(folder, "run", "tiny.yaml", "--nodes", "2", "--out", "out");
        var trialsAfterFirst = File.ReadAllText(Path.Combine(folder, "out", "trials.csv"));
        var second = await RunAsync(folder, "run", "tiny.yaml", "--nodes", "1", "--out", "out");

        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        // A normal end is quiet: members leave and stop in order, so no connection drops and Akka logs no error.
        Assert.DoesNotMatch("ERROR|Exception", first.Stdout + first.Stderr + second.Stdout + second.Stderr);
        var rows = trialsAfterFirst.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, rows.Length);
        Assert.All(rows.Skip(1), row => Assert.Contains(",completed,1,6,", row));
        var gradstats = File.ReadAllLines(Path.Combine(folder, "out", "gradstats.csv"));
        Assert.Equal(2, gradstats.Skip(1).Select(l => l.Split(',')[0]).Distinct().Count());
        Assert.Contains("\"completed\": 2", File.ReadAllText(Path.Combine(folder, "out", "summary.json")));
        Assert.Contains("grad ratio first", first.Stdout);
        // The training means ride on every snapshot from the trial process to the report: 2 trials, snapshots at steps 0, 2, 4.
        var curves = File.ReadAllLines(Path.Combine(folder, "out", "curves.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(2 * 3, curves.Count);
        Assert.All(curves, row => Assert.InRange(double.Parse(row[4], System.Globalization.CultureInfo.InvariantCulture), 0, 1));
        Assert.True(File.Exists(Path.Combine(folder, "out", "index.html")), "no index.html");

        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);
        Assert.Contains("resuming the stored sweep", second.Stdout);
        Assert.DoesNotContain(" running on ", second.Stdout);
        Assert.Equal(trialsAfterFirst, File.ReadAllText(Path.Combine(folder, "out", "trials.csv")));
    }

    /// <summary>One trial of 300 steps, checkpointing every 5, that may fail only once.</summary>
    private const string OneLongTrial = """
        name: long
        data: { kind: synthetic, synthetic_train_size: 64, synthetic_test_size: 16 }
        fixed: { model.family: cifar-resnet, model.depth: 8, model.base_width: 8, batch_size: 16, max_steps: 300, epochs: 100 }
        stats: { every: 50, histogram_bins: 8 }
        resources: { cpu_threads_per_trial: 1 }
        retries: { max_attempts: 1 }
        checkpoint_every: 5
        """;

    [Fact]
    public async Task Interrupting_a_run_more_often_than_max_attempts_neither_fails_its_trial_nor_loses_its_progress()
    {
        var patience = TimeSpan.FromSeconds(120);
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "long.yaml"), OneLongTrial);
        var checkpoints = Path.Combine(folder, "out", "checkpoints");
        var exitCodes = new List<int>();

        for (var round = 0; round < 2; round++)
        {
            var since = DateTime.UtcNow;
            await using var run = MemberProcess.Start($"run {round + 1}", folder, "run", "long.yaml", "--nodes", "1", "--out", "out");
            await run.WaitForLineAsync(@"\) running on ", patience);
            // Interrupted once this attempt has a checkpoint of its own, so that the next one has something to resume.
            using (var guard = new CancellationTokenSource(patience))
                while (!Directory.Exists(checkpoints) || !Directory.EnumerateFiles(checkpoints, "checkpoint.ckpt", SearchOption.AllDirectories)
                           .Any(f => File.GetLastWriteTimeUtc(f) > since))
                    await Task.Delay(20, guard.Token);
            exitCodes.Add(await run.InterruptAsync(patience));
        }
        var last = await RunAsync(folder, "run", "long.yaml", "--nodes", "1", "--out", "out");

        Assert.Equal([130, 130], exitCodes);
        Assert.True(last.ExitCode == 0, last.Stdout + last.Stderr);
        var row = File.ReadAllLines(Path.Combine(folder, "out", "trials.csv"))[1];
        Assert.Contains(",completed,3,300,", row);
        var resumed = Regex.Match(last.Stdout, @"resumed from step (\d+)");
        Assert.True(resumed.Success && long.Parse(resumed.Groups[1].Value) > 0, last.Stdout);
    }

    [Fact]
    public async Task A_run_reads_the_coordinator_settings_from_the_environment()
    {
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "tiny.yaml"), TinySweep);

        var run = await RunAsync(folder, new Dictionary<string, string?> { ["CLUSTERTRAIN_COORDINATOR__MAXTRIALSPERSWEEP"] = "1" },
            "run", "tiny.yaml", "--out", "out");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("more than the limit of 1", run.Stderr);
        Assert.False(Directory.Exists(Path.Combine(folder, "out")));
    }

    [Theory]
    [InlineData("CLUSTERTRAIN_NODE__THREADS", "many", "'many' does not read")]
    [InlineData("CLUSTERTRAIN_NODE__STOPGRACE", "-00:00:01", "is not a positive time span")]
    [InlineData("CLUSTERTRAIN_PERSISTENCE__PROVIDER", "mongodb", "is not a journal provider")]
    public async Task A_run_with_a_bad_setting_exits_2_naming_its_variable(string variable, string value, string complaint)
    {
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "tiny.yaml"), TinySweep);

        var run = await RunAsync(folder, new Dictionary<string, string?> { [variable] = value }, "run", "tiny.yaml", "--out", "out");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(variable, run.Stderr);
        Assert.Contains(complaint, run.Stderr);
        Assert.False(Directory.Exists(Path.Combine(folder, "out")));
    }

    [Fact]
    public async Task A_run_of_a_bad_spec_exits_2_listing_every_problem_and_starts_nothing()
    {
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "sweep.yaml"),
            "name: s\nfixed:\n  model.family: cifar-resnet\ngrid:\n  model.depth: [20, 21, 20]\n  optimizer.lr: [0]\n");

        var run = await RunAsync(folder, "run", "sweep.yaml", "--out", "out", "--nodes", "0");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--nodes: 0", run.Stderr);
        Assert.Contains("sweep.yaml:5:", run.Stderr);
        Assert.Contains("sweep.yaml:6:", run.Stderr);
        Assert.False(Directory.Exists(Path.Combine(folder, "out")));
    }
}
