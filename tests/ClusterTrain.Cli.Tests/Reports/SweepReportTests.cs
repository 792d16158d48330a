using System.Buffers.Binary;
using System.Text;
using ClusterTrain.Coordinator.Reports;
using ClusterTrain.Coordinator.Reports.TensorBoard;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Training;
using ClusterTrain.Tests.Common;
using SkiaSharp;
using static ClusterTrain.Cli.Tests.Reports.ReportFixture;

namespace ClusterTrain.Cli.Tests.Reports;

/// <summary>A complete sweep's report, written once for the tests that only read it: drawing the plots takes a while.</summary>
public sealed class WrittenReport : IDisposable
{
    private readonly TempFolder _folder = new();

    public WrittenReport()
    {
        Fixture = Complete();
        Written = Fixture.Report().WriteTo(_folder.Path);
    }

    public ReportFixture Fixture { get; }
    public IReadOnlyList<string> Written { get; }
    public string Path => _folder.Path;

    public void Dispose() => _folder.Dispose();
}

public class SweepReportTests(WrittenReport report) : IClassFixture<WrittenReport>
{
    [Fact]
    public void The_report_writes_the_page_every_plot_the_tables_and_a_tensorboard_run_per_trial_and_lists_them()
    {
        var (folder, fixture, written) = (report, report.Fixture, report.Written);

        var onDisk = Directory.EnumerateFiles(folder.Path, "*", SearchOption.AllDirectories)
            .Select(f => System.IO.Path.GetRelativePath(folder.Path, f).Replace(System.IO.Path.DirectorySeparatorChar, '/')).Order().ToList();
        Assert.Equal(onDisk, written.Order());
        Assert.Equal(ReportPage.FileName, written[0]);
        Assert.Subset(written.ToHashSet(), ReportPlots.All.Select(p => p.FileName)
            .Concat([SweepReport.TrialsFile, SweepReport.GradStatsFile, SweepReport.CurvesFile, SweepReport.SummaryFile]).ToHashSet());
        Assert.Equal(fixture.Trials.Select(t => $"{TensorBoardEvents.Folder}/{TensorBoardEvents.RunName(t)}").Order(),
            written.Where(w => w.StartsWith(TensorBoardEvents.Folder + "/")).Select(w => w[..w.LastIndexOf('/')]).Order());
    }

    [Fact]
    public void Every_plot_is_a_png_of_its_stated_size()
    {
        var folder = report;

        foreach (var plot in ReportPlots.All)
        {
            using var image = SKBitmap.Decode(System.IO.Path.Combine(folder.Path, plot.FileName));
            Assert.NotNull(image);
            Assert.Equal((plot.Width, plot.Height), (image.Width, image.Height));
        }
    }

    [Fact]
    public void The_page_embeds_every_plot_and_both_tables_and_reaches_for_nothing_on_the_network()
    {
        var (folder, fixture) = (report, report.Fixture);

        var html = File.ReadAllText(System.IO.Path.Combine(folder.Path, ReportPage.FileName));
        Assert.All(ReportPlots.All, plot => Assert.Contains($"<img src=\"{plot.FileName}\"", html));
        Assert.Contains("<table id=\"comparison\">", html);
        Assert.Contains("<table id=\"trials\">", html);
        Assert.All(fixture.Trials, t => Assert.Contains($"<td>{t.TrialId}</td><td>{t.Label}</td>", html));
        Assert.Contains("<tr><td>cifar-resnet</td><td class=\"n\">20</td><td>yes</td><td class=\"n\">2</td>", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<script", html);
    }

    [Fact]
    public void Tensorboard_files_hold_valid_frames_with_each_trials_scalars_and_layer_histograms()
    {
        var (folder, fixture) = (report, report.Fixture);

        foreach (var trial in fixture.Trials)
        {
            var run = System.IO.Path.Combine(folder.Path, TensorBoardEvents.Folder, TensorBoardEvents.RunName(trial));
            var events = ReadEvents(Assert.Single(Directory.GetFiles(run, "events.out.tfevents.*")));
            Assert.Equal(TensorBoardEvents.FileVersion, events[0].FileVersion);
            foreach (var snapshot in fixture.Snapshots[trial.TrialId])
            {
                var values = Assert.Single(events, e => e.Summary is not null && e.Step == snapshot.Step).Summary.Value.ToDictionary(v => v.Tag);
                Assert.Equal((float)snapshot.TrainError, values[TensorBoardEvents.TrainErrorTag].SimpleValue);
                Assert.Equal((float)snapshot.TrainLoss, values[TensorBoardEvents.TrainLossTag].SimpleValue);
                foreach (var layer in snapshot.Layers)
                {
                    Assert.Equal((float)layer.L2Norm, values[TensorBoardEvents.GradientNormTag(layer)].SimpleValue);
                    var histogram = values[TensorBoardEvents.HistogramTag(layer)].Histo;
                    Assert.Equal(layer.Histogram.Sum(), histogram.Num);
                    Assert.Equal(layer.Histogram.Select(c => (double)c), histogram.Bucket);
                    Assert.Equal(Enumerable.Range(1, Histograms.Length).Select(s => Histograms.MinLog10 + (s - 1.0) * Histograms.BinWidthLog10), histogram.BucketLimit);
                }
            }
            var result = fixture.Reports[trial.TrialId].Result!;
            var end = Assert.Single(events, e => e.Summary?.Value.Any(v => v.Tag == TensorBoardEvents.TestErrorTag) == true);
            Assert.Equal(result.Steps, end.Step);
            Assert.Equal((float)result.TestError!.Value, end.Summary.Value.Single(v => v.Tag == TensorBoardEvents.TestErrorTag).SimpleValue);
        }
    }

    [Fact]
    public void Writing_the_report_again_replaces_each_tensorboard_file_instead_of_adding_one()
    {
        using var folder = new TempFolder();
        var fixture = new ReportFixture();
        var trial = fixture.Trial(8, true, 0);
        var sweepReport = fixture.WithSnapshots(trial, layers: 3, count: 2, norm: (i, k) => 1, error: k => 0.5).Report();
        var run = System.IO.Path.Combine(folder.Path, TensorBoardEvents.Folder, TensorBoardEvents.RunName(trial));

        sweepReport.WriteTo(folder.Path);
        // A later report has a later file name (TensorBoard reads a run's files in name order): make the clock move on.
        File.Move(Assert.Single(Directory.GetFiles(run)), System.IO.Path.Combine(run, "events.out.tfevents.1.old"));
        sweepReport.WriteTo(folder.Path);

        Assert.DoesNotContain("events.out.tfevents.1.old", Directory.GetFiles(run).Select(System.IO.Path.GetFileName));
        Assert.Single(Directory.GetFiles(run));
    }

    [Fact]
    public void A_sweep_with_failed_diverged_and_unstarted_trials_still_writes_every_plot()
    {
        using var folder = new TempFolder();
        var fixture = new ReportFixture();
        var diverged = fixture.Trial(20, false, 0);
        fixture.WithSnapshots(diverged, layers: 5, count: 2, norm: (i, k) => k == 1 ? double.PositiveInfinity : 1e-3 * (i + 1), error: k => k == 1 ? double.NaN : 0.9)
            .WithResult(diverged, TrialState.Diverged, Completed(0.9) with { Outcome = TrialOutcome.Diverged, TestError = null })
            .WithResult(fixture.Trial(8, true, 0), TrialState.Failed, null, "exit code 139");

        var written = fixture.Report().WriteTo(folder.Path);

        Assert.All(ReportPlots.All, plot => Assert.NotNull(SKBitmap.Decode(System.IO.Path.Combine(folder.Path, plot.FileName))));
        var run = $"{TensorBoardEvents.Folder}/{TensorBoardEvents.RunName(diverged)}/";
        Assert.Single(written, w => w.StartsWith(TensorBoardEvents.Folder));
        Assert.StartsWith(run, written.Single(w => w.StartsWith(TensorBoardEvents.Folder)));
        Assert.Contains("exit code 139", File.ReadAllText(System.IO.Path.Combine(folder.Path, ReportPage.FileName)));
    }

    [Fact]
    public void A_sweep_that_has_not_run_writes_the_page_and_empty_plots_and_no_tensorboard_folder()
    {
        using var folder = new TempFolder();

        var written = new ReportFixture().Report().WriteTo(folder.Path);

        Assert.All(ReportPlots.All, plot => Assert.Contains(plot.FileName, written));
        Assert.False(Directory.Exists(System.IO.Path.Combine(folder.Path, TensorBoardEvents.Folder)));
        Assert.DoesNotContain("tensorboard --logdir", File.ReadAllText(System.IO.Path.Combine(folder.Path, ReportPage.FileName)));
    }

    [Fact]
    public void The_comparison_averages_the_seeds_of_each_family_depth_and_shortcut_setting()
    {
        var fixture = new ReportFixture();
        fixture.WithResult(fixture.Trial(20, true, 0), TrialState.Completed, Completed(0.10))
            .WithResult(fixture.Trial(20, true, 1), TrialState.Completed, Completed(0.20))
            .WithResult(fixture.Trial(20, false, 0), TrialState.Completed, Completed(0.40));

        var comparison = fixture.Report().Comparison;

        Assert.Equal(4, comparison.Count);
        var residual20 = Assert.Single(comparison, r => r.Depth == 20 && r.Shortcuts);
        Assert.Equal((2, 0.15, ""), (residual20.Trials, Math.Round(residual20.TestError!.Value, 10), residual20.Configuration));
        var plain20 = Assert.Single(comparison, r => r.Depth == 20 && !r.Shortcuts);
        Assert.Equal((1, 0.40), (plain20.Trials, plain20.TestError));
        Assert.Null(Assert.Single(comparison, r => r.Depth == 8 && !r.Shortcuts).TestError);
    }

    [Fact]
    public void Configurations_that_differ_in_another_grid_value_get_rows_of_their_own()
    {
        var fixture = new ReportFixture("""
            name: lr-test
            data: { kind: synthetic }
            fixed: { model.family: cifar-resnet, model.depth: 8, epochs: 1 }
            grid: { model.shortcuts: [false, true], optimizer.lr: [0.1, 0.01] }
            """);
        var trials = fixture.Trials.Where(t => t.Config.Model.Shortcuts).OrderByDescending(t => t.Config.Optimizer.LearningRate).ToList();
        fixture.WithResult(trials[0], TrialState.Completed, Completed(0.30)).WithResult(trials[1], TrialState.Completed, Completed(0.60));

        var report = fixture.Report();

        Assert.Equal(["optimizer.lr=0.01", "optimizer.lr=0.1"], report.Comparison.Where(r => r.Shortcuts).Select(r => r.Configuration).Order());
        Assert.Equal(0.30, report.Comparison.Single(r => r.Shortcuts && r.Configuration == "optimizer.lr=0.1").TestError);
        var table = report.FormatComparison().Split('\n');
        Assert.EndsWith("configuration", table[0]);
        Assert.Contains(table, line => line.Contains("60.00 %") && line.EndsWith("optimizer.lr=0.01"));
    }

    [Fact]
    public void The_curves_file_has_a_row_per_trial_and_snapshot_with_its_training_loss_and_error()
    {
        var (folder, fixture) = (report, report.Fixture);

        var lines = File.ReadAllLines(System.IO.Path.Combine(folder.Path, SweepReport.CurvesFile));
        Assert.Equal("trial_id,label,step,train_loss,train_error", lines[0]);
        var trial = fixture.Trials[0];
        var snapshot = fixture.Snapshots[trial.TrialId][1];
        Assert.Contains(FormattableString.Invariant($"{trial.TrialId},{trial.Label},4,{snapshot.TrainLoss:R},{snapshot.TrainError:R}"), lines);
        Assert.Equal(1 + fixture.Snapshots.Values.Sum(s => s.Count), lines.Length);
    }

    [Fact]
    public void The_masked_crc_is_the_castagnoli_crc_of_the_standard_check_string_rotated_and_offset()
    {
        var check = Encoding.ASCII.GetBytes("123456789");

        Assert.Equal(0xE3069283u, TensorBoardEvents.Crc32C(check));
        Assert.Equal(BitwiseCrc32C(check), TensorBoardEvents.Crc32C(check));
        var crc = BitwiseCrc32C(check);
        Assert.Equal(((crc >> 15) | (crc << 17)) + 0xa282ead8u, TensorBoardEvents.MaskedCrc32C(check));
    }

    /// <summary>Every TFRecord frame of a file, both CRCs checked, decoded as an Event.</summary>
    private static List<Event> ReadEvents(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        var at = 0;
        while (at < bytes.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at, 8));
            Assert.Equal(Masked(BitwiseCrc32C(bytes.AsSpan(at, 8))), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8, 4)));
            var data = bytes.AsSpan(at + 12, length);
            Assert.Equal(Masked(BitwiseCrc32C(data)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length, 4)));
            events.Add(Event.Parser.ParseFrom(data));
            at += 12 + length + 4;
        }
        return events;
    }

    private static uint Masked(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;

    /// <summary>CRC-32C bit by bit (reflected polynomial 0x82F63B78): independent of the hardware instruction the writer uses.</summary>
    private static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }
}
