using ClusterTrain.Coordinator.Reports;
using ClusterTrain.Shared.Cluster;
using ClusterTrain.Shared.Sweeps;
using static ClusterTrain.Cli.Tests.Reports.ReportFixture;

namespace ClusterTrain.Cli.Tests.Reports;

public class ReportPlotDataTests
{
    [Fact]
    public void Gradient_flow_has_a_line_per_configuration_with_the_seed_mean_norm_of_each_layer_at_the_first_and_last_snapshot()
    {
        var fixture = Complete();

        var plots = fixture.Plots();

        Assert.Equal(["plain-8", "plain-20", "ResNet-8", "ResNet-20"], plots.GradientFlowAtStart.Select(s => s.Label));
        Assert.Equal([false, false, true, true], plots.GradientFlowAtStart.Select(s => s.Residual));
        foreach (var (flow, pick) in new[] { (plots.GradientFlowAtStart, 0), (plots.GradientFlowAtEnd, 2) })
        {
            var plain20 = flow.Single(s => s.Label == "plain-20");
            var seeds = new[] { fixture.Trial(20, false, 0), fixture.Trial(20, false, 1) }.Select(t => fixture.Snapshots[t.TrialId][pick]).ToList();
            Assert.Equal(Enumerable.Range(0, 5).Select(i => (double)i), plain20.Points.Select(p => p.X));
            Assert.Equal(Enumerable.Range(0, 5).Select(i => seeds.Average(s => s.Layers[i].L2Norm)), plain20.Points.Select(p => p.Y));
        }
    }

    [Fact]
    public void Training_curves_put_plain_and_residual_nets_apart_with_the_seed_mean_training_error_at_each_step()
    {
        var fixture = Complete();

        var plots = fixture.Plots();

        Assert.Equal(["plain-8", "plain-20"], plots.PlainTrainingCurves.Select(s => s.Label));
        Assert.Equal(["ResNet-8", "ResNet-20"], plots.ResidualTrainingCurves.Select(s => s.Label));
        var resnet8 = plots.ResidualTrainingCurves[0];
        var seeds = new[] { fixture.Trial(8, true, 0), fixture.Trial(8, true, 1) }.Select(t => fixture.Snapshots[t.TrialId]).ToList();
        Assert.Equal([0.0, 4, 8], resnet8.Points.Select(p => p.X));
        Assert.Equal(Enumerable.Range(0, 3).Select(k => seeds.Average(s => s[k].TrainError)), resnet8.Points.Select(p => p.Y));
    }

    [Fact]
    public void Snapshots_without_a_training_error_and_non_finite_norms_are_left_out_of_the_lines()
    {
        var fixture = new ReportFixture();
        var diverged = fixture.Trial(8, false, 0);
        // Statistics recorded before snapshots carried the training error, and a last snapshot whose gradients blew up.
        fixture.WithSnapshots(diverged, layers: 2, count: 2, norm: (i, k) => k == 1 && i == 0 ? double.NaN : 1 + i, error: k => k == 0 ? double.NaN : 0.8);

        var plots = fixture.Plots();

        Assert.Equal([new SeriesPoint(4, 0.8)], Assert.Single(plots.PlainTrainingCurves).Points);
        Assert.Equal([new SeriesPoint(1, 2)], Assert.Single(plots.GradientFlowAtEnd).Points);
        Assert.Empty(plots.ResidualTrainingCurves);
    }

    [Fact]
    public void Test_error_against_depth_has_one_line_per_family_with_the_seed_mean_at_each_depth()
    {
        var fixture = Complete();
        // A failed seed has no result and does not pull the mean.
        fixture.WithResult(fixture.Trial(20, true, 1), TrialState.Failed, null, "no attempts left");

        var plots = fixture.Plots();

        Assert.Equal(["plain", "residual"], plots.TestErrorByDepth.Select(s => s.Label));
        double Error(int depth, bool residual, int seed) => fixture.Reports[fixture.Trial(depth, residual, seed).TrialId].Result!.TestError!.Value;
        Assert.Equal([new SeriesPoint(8, (Error(8, false, 0) + Error(8, false, 1)) / 2), new SeriesPoint(20, (Error(20, false, 0) + Error(20, false, 1)) / 2)],
            plots.TestErrorByDepth[0].Points);
        Assert.Equal(new SeriesPoint(20, Error(20, true, 0)), plots.TestErrorByDepth[1].Points[1]);
    }

    [Fact]
    public void Other_grid_values_than_depth_make_separate_families_in_the_test_error_plot()
    {
        var fixture = new ReportFixture(ReportFixture.Yaml.Replace("model.shortcuts: [false, true]", "model.shortcuts: [false], optimizer.lr: [0.1, 0.01]"));
        foreach (var trial in fixture.Trials) fixture.WithResult(trial, TrialState.Completed, Completed(0.5));

        var plots = fixture.Plots();

        Assert.Equal(["plain lr=0.1", "plain lr=0.01"], plots.TestErrorByDepth.Select(s => s.Label));
    }

    [Fact]
    public void The_heatmap_shows_the_deepest_plain_net_by_default_with_four_layers_from_input_to_output_by_step()
    {
        var fixture = Complete();

        var heatmap = fixture.Plots().Heatmap!;

        var trial = fixture.Trial(20, false, 0);
        Assert.Equal(trial.TrialId, heatmap.TrialId);
        Assert.Equal(Histograms, heatmap.Spec);
        Assert.Equal([0, 1, 2, 4], heatmap.Panels.Select(p => p.LayerIndex));
        Assert.Equal(["conv1.weight", "layer1.1.conv.weight", "layer1.2.conv.weight", "layer1.4.conv.weight"], heatmap.Panels.Select(p => p.Layer));
        var last = heatmap.Panels[^1];
        Assert.Equal([0L, 4, 8], last.Steps);
        for (var column = 0; column < 3; column++)
            for (var slot = 0; slot < Histograms.Length; slot++)
                Assert.Equal(fixture.Snapshots[trial.TrialId][column].Layers[4].Histogram[slot], last.Counts[slot, column]);
    }

    [Fact]
    public void A_heatmap_trial_can_be_named_by_label_and_seed_or_by_id_prefix()
    {
        var fixture = Complete();
        var resnet8 = fixture.Trial(8, true, 1);

        Assert.Equal(resnet8.TrialId, fixture.Plots("ResNet-8 seed=1").Heatmap!.TrialId);
        Assert.Equal(resnet8.TrialId, fixture.Plots(resnet8.TrialId[..8]).Heatmap!.TrialId);
    }

    [Theory]
    [InlineData("ResNet-110", "names no trial")]
    [InlineData("plain-20", "names 2 trials")]
    public void A_heatmap_trial_that_names_no_single_trial_is_refused_listing_the_trials(string wanted, string expected)
    {
        var fixture = Complete();

        var error = Assert.Throws<ArgumentException>(() => fixture.Report(new SweepReportOptions(wanted)));

        Assert.Contains($"heatmap trial '{wanted}' {expected}", error.Message);
        Assert.Contains("'ResNet-20 seed=1'", error.Message);
    }

    [Fact]
    public void A_sweep_without_statistics_or_results_has_empty_plots_and_no_heatmap()
    {
        var fixture = new ReportFixture();
        fixture.WithResult(fixture.Trial(8, false, 0), TrialState.Failed, null, "crashed");

        var plots = fixture.Plots();

        Assert.Empty(plots.GradientFlowAtStart);
        Assert.Empty(plots.PlainTrainingCurves);
        Assert.Empty(plots.TestErrorByDepth);
        Assert.Null(plots.Heatmap);
    }
}
