using System.Globalization;
using ClusterTrain.Shared.GradientStats;

namespace ClusterTrain.Shared.Tests.GradientStats;

public class GradientStatsCsvTests
{
    private static readonly LayerGradientStats Simple = new(
        0, "conv1.weight", Count: 4, L2Norm: 2, Mean: 0.5, Variance: 0.25, MeanAbs: 1, MaxAbs: 1.5,
        NonFinite: 0, WeightNorm: 3, UpdateRatio: double.NaN, Histogram: [1, 2, 0]);

    private static readonly LayerGradientStats Awkward = new(
        7, "layer3.8.conv2.weight", Count: 36864, L2Norm: 1.2345678901234567e-300, Mean: -0.1,
        Variance: 2, MeanAbs: 0.1 + 0.2, MaxAbs: double.PositiveInfinity, NonFinite: 12,
        WeightNorm: 1e308, UpdateRatio: 1.0 / 3, Histogram: [0, long.MaxValue, 5]);

    [Fact]
    public void The_header_names_every_column_in_order()
    {
        Assert.Equal(
            "trial,step,layer_index,layer,count,l2_norm,mean,std,mean_abs,max_abs,non_finite,weight_norm,update_ratio,histogram",
            GradientStatsCsv.Header);
    }

    [Fact]
    public void A_row_holds_the_std_and_the_histogram_joined_by_semicolons()
    {
        Assert.Equal("t1,10,0,conv1.weight,4,2,0.5,0.5,1,1.5,0,3,NaN,1;2;0", GradientStatsCsv.FormatRow("t1", 10, Simple));
    }

    [Fact]
    public void Rows_are_written_in_the_invariant_culture_whatever_the_current_one()
    {
        var previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("t1,10,0,conv1.weight,4,2,0.5,0.5,1,1.5,0,3,NaN,1;2;0", GradientStatsCsv.FormatRow("t1", 10, Simple));
            Assert.Equal(0.5, GradientStatsCsv.ParseRow("t1,10,0,conv1.weight,4,2,0.5,0.5,1,1.5,0,3,NaN,1;2;0").Layer.Mean);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void A_parsed_row_equals_the_original_but_for_the_last_bit_of_the_variance()
    {
        var row = GradientStatsCsv.FormatRow("sweep \"a\", trial 3", 123456789012, Awkward);

        var parsed = GradientStatsCsv.ParseRow(row);

        Assert.Equal(("sweep \"a\", trial 3", 123456789012L), (parsed.Trial, parsed.Step));
        // The file holds sqrt(2); squaring it back gives 2.0000000000000004.
        Assert.Equal(Awkward.Variance, parsed.Layer.Variance, 1e-15);
        Assert.Equal(Awkward with { Variance = parsed.Layer.Variance }, parsed.Layer);
        Assert.Equal(row, GradientStatsCsv.FormatRow(parsed.Trial, parsed.Step, parsed.Layer));
    }

    [Fact]
    public void A_written_file_reads_back_into_the_same_snapshots()
    {
        var written = new[]
        {
            new TrialSnapshot("plain-56", new GradientSnapshot(0, [Simple, Awkward])),
            new TrialSnapshot("plain-56", new GradientSnapshot(10, [Simple with { Histogram = [] }])),
            new TrialSnapshot("resnet-56", new GradientSnapshot(0, [Simple])),
        };
        var text = new StringWriter();
        GradientStatsCsv.Write(text, written);

        var read = GradientStatsCsv.ToSnapshots(GradientStatsCsv.Read(new StringReader(text.ToString()), "stats.csv")).ToList();

        Assert.Equal(written.Select(s => (s.Trial, s.Snapshot.Step)), read.Select(s => (s.Trial, s.Snapshot.Step)));
        Assert.Equal(written[1], read[1]);
        Assert.Equal(written[2], read[2]);
        Assert.Equal(Awkward.Name, read[0].Snapshot.Layers[1].Name);
    }

    [Theory]
    [InlineData("t1,10,0,conv1.weight,4,2,0.5", "expected 14 columns")]
    [InlineData("t1,10,0,conv1.weight,4,two,0.5,0.5,1,1.5,0,3,NaN,1;2;0", "column 'l2_norm': 'two' is not a number")]
    [InlineData("t1,10,0,conv1.weight,-4,2,0.5,0.5,1,1.5,0,3,NaN,1;2;0", "column 'count': '-4' is not an integer")]
    [InlineData("t1,ten,0,conv1.weight,4,2,0.5,0.5,1,1.5,0,3,NaN,1;2;0", "column 'step': 'ten'")]
    [InlineData("t1,10,0,conv1.weight,4,2,0.5,0.5,1,1.5,0,3,NaN,1;x;0", "column 'histogram': slot 1 'x' is not a count")]
    [InlineData("\"t1,10,0,conv1.weight,4,2,0.5,0.5,1,1.5,0,3,NaN,1;2;0", "a quoted field is not closed")]
    [InlineData("\"t1\"x,10,0,conv1.weight,4,2,0.5,0.5,1,1.5,0,3,NaN,1;2;0", "unexpected 'x' after a quoted field")]
    public void A_bad_row_is_reported_with_its_line_and_column(string row, string expected)
    {
        var file = $"{GradientStatsCsv.Header}\n{GradientStatsCsv.FormatRow("t1", 0, Simple)}\n{row}\n";

        var e = Assert.Throws<FormatException>(() => GradientStatsCsv.Read(new StringReader(file), "stats.csv").ToList());

        Assert.StartsWith("stats.csv:3: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_file_without_the_header_is_rejected()
    {
        var e = Assert.Throws<FormatException>(() =>
            GradientStatsCsv.Read(new StringReader(GradientStatsCsv.FormatRow("t1", 0, Simple)), "stats.csv").ToList());

        Assert.StartsWith("stats.csv:1: expected the header", e.Message);
    }

    [Fact]
    public void Names_with_line_breaks_cannot_be_written()
    {
        Assert.Throws<ArgumentException>(() => GradientStatsCsv.FormatRow("a\nb", 0, Simple));
    }
}
