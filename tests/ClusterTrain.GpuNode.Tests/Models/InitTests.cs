using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.Models;
using static ClusterTrain.GpuNode.Tests.Models.ModelTesting;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Tests.Models;

public class InitTests
{
    // 256 -> 512 channels, 3x3: fan-in 2304 and fan-out 4608 tell the two modes apart; 1.2M samples.
    private const string WideningConv = "layer4.0.conv1.weight";
    private const double FanOut = 512 * 9;
    private const double FanIn = 256 * 9;

    private static double Std(Tensor t) => t.std().item<float>();

    [Fact]
    public void He_init_draws_conv_weights_with_std_sqrt_2_over_fan_out()
    {
        using var model = ModelFactory.Create(new ModelSpec(ModelFamily.ResNet, 18, Init: InitScheme.He));

        var std = Std(Param(model, WideningConv));

        Assert.InRange(std, Math.Sqrt(2 / FanOut) * 0.95, Math.Sqrt(2 / FanOut) * 1.05);
        Assert.InRange(Param(model, WideningConv).mean().item<float>(), -1e-3, 1e-3);
    }

    [Fact]
    public void He_init_draws_linear_weights_with_std_sqrt_2_over_fan_in()
    {
        using var model = ModelFactory.Create(new ModelSpec(ModelFamily.Vgg, 11, Init: InitScheme.He, Classes: 100));
        var fc = Param(model, "classifier.0.weight"); // 512 -> 512

        Assert.InRange(Std(fc), Math.Sqrt(2.0 / 512) * 0.95, Math.Sqrt(2.0 / 512) * 1.05);
    }

    [Theory]
    [InlineData(InitScheme.He)]
    [InlineData(InitScheme.Xavier)]
    public void He_and_xavier_zero_every_bias_and_reset_batch_norm(InitScheme init)
    {
        using var withoutBn = ModelFactory.Create(new ModelSpec(ModelFamily.CifarResNet, 20, BatchNorm: false, Init: init));
        using var withBn = ModelFactory.Create(new ModelSpec(ModelFamily.ResNet, 18, Init: init));

        var biases = withoutBn.named_parameters().Where(p => p.name.EndsWith(".bias", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, biases.Count);
        Assert.All(biases, b => Assert.Equal(0f, b.parameter.abs().max().item<float>()));
        Assert.All(withBn.named_parameters().Where(p => p.name.Contains("bn") || p.name.Contains("downsample.1")), p =>
            Assert.Equal(p.name.EndsWith(".weight", StringComparison.Ordinal) ? 1f : 0f, p.parameter.mean().item<float>()));
    }

    [Fact]
    public void Xavier_init_fills_the_glorot_uniform_range()
    {
        using var model = ModelFactory.Create(new ModelSpec(ModelFamily.ResNet, 18, Init: InitScheme.Xavier));
        var weight = Param(model, WideningConv);
        var bound = Math.Sqrt(6 / (FanIn + FanOut));

        var largest = weight.abs().max().item<float>();

        Assert.InRange(largest, bound * 0.99, bound * (1 + 1e-6)); // float32 rounding of the bound
        Assert.InRange(Std(weight), bound / Math.Sqrt(3) * 0.95, bound / Math.Sqrt(3) * 1.05);
    }

    [Fact]
    public void Default_init_keeps_torchsharps_draw_which_differs_from_he()
    {
        using var defaults = ModelFactory.Create(new ModelSpec(ModelFamily.CifarResNet, 20, BatchNorm: false, Init: InitScheme.Default));
        using var he = ModelFactory.Create(new ModelSpec(ModelFamily.CifarResNet, 20, BatchNorm: false, Init: InitScheme.He));
        const string conv = "layer3.1.conv1.weight"; // 64 -> 64, 3x3

        // PyTorch's constructor default: kaiming_uniform with a = sqrt(5), i.e. std = 1 / sqrt(3 fan_in).
        Assert.InRange(Std(Param(defaults, conv)), Math.Sqrt(1 / (3 * 576.0)) * 0.95, Math.Sqrt(1 / (3 * 576.0)) * 1.05);
        Assert.InRange(Std(Param(he, conv)), Math.Sqrt(2 / 576.0) * 0.95, Math.Sqrt(2 / 576.0) * 1.05);
        Assert.NotEqual(0f, Param(defaults, "layer3.1.conv1.bias").abs().max().item<float>());
    }
}
