using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.GradientStats;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Tests.Training;

public class GradientStatsCollectorTests
{
    private static readonly HistogramSpec Histogram = new(Bins: 4, MinLog10: -4, MaxLog10: 0);

    /// <summary>A weight whose gradient is exactly <paramref name="gradient"/>: d/dw sum(w * g) = g.</summary>
    private static Parameter WeightWithGradient(float[] weight, float[] gradient)
    {
        var parameter = new Parameter(tensor(weight).reshape(2, -1));
        var g = tensor(gradient).reshape(2, -1);
        (parameter * g).sum().backward();
        return parameter;
    }

    [Fact]
    public void Moments_norms_and_update_ratio_match_hand_computed_values()
    {
        var w = WeightWithGradient([1, 2, 2, 4], [0.5f, -0.5f, 0.001f, 2f]);
        using var collector = new GradientStatsCollector([("layer.weight", w)], Histogram);

        collector.CaptureGradients();
        using (no_grad()) w.sub_(w.grad! * 0.1f);
        var layer = collector.CompleteSnapshot(step: 3).Layers.Single();

        Assert.Equal("layer.weight", layer.Name);
        Assert.Equal(4, layer.Count);
        Assert.Equal(0, layer.NonFinite);
        var g = new[] { 0.5, -0.5, 0.001, 2 };
        var mean = g.Average();
        Assert.Equal(mean, layer.Mean, 6);
        Assert.Equal(g.Select(x => (x - mean) * (x - mean)).Average(), layer.Variance, 6);
        Assert.Equal(Math.Sqrt(g.Sum(x => x * x)), layer.L2Norm, 6);
        Assert.Equal(g.Average(Math.Abs), layer.MeanAbs, 6);
        Assert.Equal(2, layer.MaxAbs, 6);
        Assert.Equal(5, layer.WeightNorm, 5); // sqrt(1 + 4 + 4 + 16)
        Assert.Equal(0.1 * layer.L2Norm / 5, layer.UpdateRatio, 5);
    }

    [Fact]
    public void Histogram_puts_each_magnitude_in_its_log10_slot()
    {
        // Slots: [0] < 1e-4 (zero too), [1] 1e-4..1e-3, [2] 1e-3..1e-2, [3] 1e-2..1e-1, [4] 1e-1..1, [5] >= 1.
        var w = WeightWithGradient([1, 1, 1, 1, 1, 1], [0f, 5e-4f, -5e-3f, 0.05f, 0.5f, -3f]);
        using var collector = new GradientStatsCollector([("w", w)], Histogram);

        collector.CaptureGradients();
        var layer = collector.CompleteSnapshot(0).Layers.Single();

        Assert.Equal([1L, 1, 1, 1, 1, 1], layer.Histogram);
    }

    [Fact]
    public void Non_finite_gradient_values_are_counted_and_kept_out_of_every_moment()
    {
        var w = WeightWithGradient([1, 1, 1, 1], [float.NaN, 1f, float.PositiveInfinity, 3f]);
        using var collector = new GradientStatsCollector([("w", w)], Histogram);

        collector.CaptureGradients();
        var layer = collector.CompleteSnapshot(0).Layers.Single();

        Assert.Equal(2, layer.NonFinite);
        Assert.Equal(2, layer.Count);
        Assert.Equal(2.0, layer.Mean, 6);
        Assert.Equal(1.0, layer.Variance, 6);
        Assert.Equal(Math.Sqrt(10), layer.L2Norm, 6);
        Assert.Equal(3.0, layer.MaxAbs, 6);
        Assert.Equal(2, layer.Histogram.Sum());
    }

    [Fact]
    public void Layers_keep_the_order_they_were_given_in()
    {
        var first = WeightWithGradient([1, 1], [1, 1]);
        var second = WeightWithGradient([1, 1], [2, 2]);
        using var collector = new GradientStatsCollector([("conv1.weight", first), ("fc.weight", second)], Histogram);

        collector.CaptureGradients();
        var snapshot = collector.CompleteSnapshot(10);

        Assert.Equal(10, snapshot.Step);
        Assert.Equal(["conv1.weight", "fc.weight"], snapshot.Layers.Select(l => l.Name));
        Assert.Equal([0, 1], snapshot.Layers.Select(l => l.Index));
    }

    [Fact]
    public void Completing_a_snapshot_without_capturing_first_is_an_error()
    {
        var w = WeightWithGradient([1, 1], [1, 1]);
        using var collector = new GradientStatsCollector([("w", w)], Histogram);

        Assert.Throws<InvalidOperationException>(() => collector.CompleteSnapshot(0));
    }

    [Fact]
    public void Each_layer_gets_its_own_statistics_whether_it_shares_a_group_or_fills_one_alone()
    {
        // The collector reduces consecutive layers together in groups of bounded size: "small" and "tiny"
        // share one, "large" is above the bound and has its own. Values span 10^-9..10^1, so every layer
        // fills several histogram slots; expectations are computed on the host from the same floats.
        var random = new Random(11);
        float[] Draw(long count, double scale) =>
            Enumerable.Range(0, (int)count).Select(_ => (float)((random.NextDouble() - 0.3) * scale * Math.Pow(10, -4 * random.NextDouble()))).ToArray();
        var shapes = new (string Name, long Count, double Scale)[]
        {
            ("small", 300, 1e-3), ("tiny", 8, 10), ("large", GradientStatsCollector.GroupElements + 2, 1e-5),
        };
        var data = shapes.Select(s => (s.Name, Weight: Draw(s.Count, 1), Gradient: Draw(s.Count, s.Scale))).ToArray();
        var parameters = data.Select(d => (d.Name, WeightWithGradient(d.Weight, d.Gradient))).ToArray();
        var histogram = new HistogramSpec(Bins: 7, MinLog10: -8, MaxLog10: -1);
        using var collector = new GradientStatsCollector(parameters, histogram);

        collector.CaptureGradients();
        using (no_grad()) foreach (var (_, w) in parameters) w.sub_(w.grad! * 0.1f);
        var layers = collector.CompleteSnapshot(step: 1).Layers;

        Assert.Equal(shapes.Select(s => s.Name), layers.Select(l => l.Name));
        // The update is what the float32 weights actually moved by, rounding included.
        var after = parameters.Select(p => p.Item2.data<float>().ToArray()).ToArray();
        foreach (var (layer, (_, weight, gradient), moved) in layers.Zip(data, after))
        {
            var g = gradient.Select(x => (double)x).ToArray();
            var mean = g.Average();
            var gradientNorm = Math.Sqrt(g.Sum(x => x * x));
            var weightNorm = Math.Sqrt(weight.Sum(x => (double)x * x));
            Assert.Equal(g.Length, layer.Count);
            AssertClose(mean, layer.Mean, 1e-9);
            AssertClose(g.Average(x => (x - mean) * (x - mean)), layer.Variance, 1e-9);
            AssertClose(gradientNorm, layer.L2Norm, 1e-9);
            AssertClose(g.Average(Math.Abs), layer.MeanAbs, 1e-9);
            Assert.Equal(g.Max(Math.Abs), layer.MaxAbs);
            AssertClose(weightNorm, layer.WeightNorm, 1e-9);
            var updateNorm = Math.Sqrt(weight.Zip(moved, (w, m) => ((double)m - w) * ((double)m - w)).Sum());
            AssertClose(updateNorm / weightNorm, layer.UpdateRatio, 1e-6);
            var expectedHistogram = new long[histogram.Length];
            foreach (var x in g) expectedHistogram[histogram.SlotOf(Math.Abs(x))]++;
            Assert.Equal(expectedHistogram, layer.Histogram);
        }
    }

    private static void AssertClose(double expected, double actual, double relative) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");
}
