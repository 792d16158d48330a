using ClusterTrain.Shared.Sweeps;
using static ClusterTrain.Shared.Tests.Sweeps.Sweeps;

namespace ClusterTrain.Shared.Tests.Sweeps;

public class SweepTableTests
{
    [Fact]
    public void The_table_has_a_column_per_grid_key_a_row_per_trial_and_the_size_underneath()
    {
        var spec = Parse("""
            name: t
            fixed: { model.family: cifar-resnet }
            grid:
              model.depth: [20, 110]
              optimizer.lr: [0.1, 0.01]
            seeds: [0, 12]
            """);
        var trials = spec.Expand();

        var lines = SweepTable.Format(spec, trials).Split('\n');

        // Widths: # 1, trial 12, label 18 ("ResNet-110 lr=0.01"), model.depth 11, optimizer.lr 12, seed 4.
        Assert.Equal("#  trial         label               model.depth  optimizer.lr  seed", lines[0]);
        Assert.Equal("-  ------------  ------------------  -----------  ------------  ----", lines[1]);
        Assert.Equal($"0  {trials[0].TrialId}  ResNet-20 lr=0.1    20           0.1              0", lines[2]);
        Assert.Equal($"1  {trials[1].TrialId}  ResNet-20 lr=0.1    20           0.1             12", lines[3]);
        Assert.Equal($"7  {trials[7].TrialId}  ResNet-110 lr=0.01  110          0.01            12", lines[9]);
        Assert.Equal("8 trials (4 grid combinations x 2 seeds)", lines[10]);
        Assert.Equal(("", 12), (lines[11], lines.Length));
    }

    [Fact]
    public void A_sweep_without_a_grid_has_no_grid_columns_and_counts_in_the_singular()
    {
        var spec = Parse(Minimal);

        var table = SweepTable.Format(spec, spec.Expand());

        Assert.Equal(
            "#  trial         label      seed\n" +
            "-  ------------  ---------  ----\n" +
            $"0  {spec.Expand()[0].TrialId}  ResNet-20     0\n" +
            "1 trial (1 grid combination x 1 seed)\n",
            table);
    }

    [Fact]
    public void The_size_line_multiplies_grid_combinations_by_seeds()
    {
        var spec = Parse("name: s\nfixed: { model.family: vgg }\ngrid: { model.depth: [11, 13, 16] }\nrepeats: 5\n");

        Assert.Equal("15 trials (3 grid combinations x 5 seeds)", SweepTable.SizeLine(spec));
    }
}
