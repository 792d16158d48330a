using ClusterTrain.Shared.GradientStats;

namespace ClusterTrain.Shared.Tests.GradientStats;

public class GradientStatsJsonLinesTests
{
    private static readonly GradientSnapshot Snapshot = new(40, [
        new LayerGradientStats(0, "conv1.weight", 432, 0.1 + 0.2, -1e-7, 1.0 / 3, 2e-3, 0.5, 0, 12.5, double.NaN, [1, 2, 3]),
        new LayerGradientStats(1, "fc.weight", 640, 1.2345678901234567e-300, 0, 0, 0, double.PositiveInfinity, 7, 1e308, 1e-3, []),
    ], TrainLoss: 2.0 / 3, TrainError: 0.4375);

    [Fact]
    public void A_snapshot_survives_a_line_of_json_exactly()
    {
        var line = GradientStatsJsonLines.Format("plain-110/seed-2", Snapshot);

        var parsed = GradientStatsJsonLines.Parse(line);

        Assert.DoesNotContain('\n', line);
        Assert.Equal(new TrialSnapshot("plain-110/seed-2", Snapshot), parsed);
    }

    [Fact]
    public void Keys_are_snake_case_and_nan_is_a_named_literal()
    {
        var line = GradientStatsJsonLines.Format("t", Snapshot);

        Assert.StartsWith("{\"trial\":\"t\",\"step\":40,\"layers\":[{\"index\":0,\"name\":\"conv1.weight\",\"count\":432,\"l2_norm\":", line);
        Assert.Contains("\"update_ratio\":\"NaN\"", line);
        Assert.Contains("\"max_abs\":\"Infinity\"", line);
        Assert.DoesNotContain("\"std\"", line);
    }

    [Fact]
    public void A_file_of_lines_reads_back_every_snapshot_skipping_blank_lines()
    {
        var writer = new StringWriter();
        GradientStatsJsonLines.Write(writer, "a", Snapshot);
        writer.WriteLine();
        GradientStatsJsonLines.Write(writer, "b", Snapshot with { Step = 50 });

        var read = GradientStatsJsonLines.Read(new StringReader(writer.ToString()), "stats.jsonl").ToList();

        Assert.Equal([new TrialSnapshot("a", Snapshot), new TrialSnapshot("b", Snapshot with { Step = 50 })], read);
    }

    [Fact]
    public void A_line_written_before_snapshots_carried_training_means_reads_them_as_NaN()
    {
        var parsed = GradientStatsJsonLines.Parse("{\"trial\":\"a\",\"step\":4,\"layers\":[]}");

        Assert.Equal(new TrialSnapshot("a", new GradientSnapshot(4, [], double.NaN, double.NaN)), parsed);
    }

    [Theory]
    [InlineData("{\"trial\":\"a\",\"step\":1", "")]
    [InlineData("{\"trial\":\"a\",\"layers\":[]}", "step")]
    [InlineData("{\"trial\":null,\"step\":1,\"layers\":[]}", "trial")]
    [InlineData("null", "null")]
    public void A_bad_line_is_reported_with_its_number(string bad, string mentions)
    {
        var file = GradientStatsJsonLines.Format("a", Snapshot) + "\n" + bad + "\n";

        var e = Assert.Throws<FormatException>(() => GradientStatsJsonLines.Read(new StringReader(file), "stats.jsonl").ToList());

        Assert.StartsWith("stats.jsonl:2: ", e.Message);
        Assert.Contains(mentions, e.Message);
    }
}
