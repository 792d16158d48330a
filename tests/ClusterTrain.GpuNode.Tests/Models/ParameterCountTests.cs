using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.Models;
using static ClusterTrain.GpuNode.Tests.Models.ModelTesting;

namespace ClusterTrain.GpuNode.Tests.Models;

public class ParameterCountTests
{
    // He et al. 2016 Table 6 ("# params").
    [Theory]
    [InlineData(20, 0.27e6)]
    [InlineData(56, 0.85e6)]
    [InlineData(110, 1.7e6)]
    public void Cifar_resnets_have_the_parameter_counts_of_the_paper(int depth, double paperCount)
    {
        using var model = Build(new ModelSpec(ModelFamily.CifarResNet, depth));

        var count = ParameterCount(model);

        Assert.Equal(CifarParameters(depth, batchNorm: true), count);
        Assert.InRange(count, paperCount * 0.98, paperCount * 1.02);
    }

    [Theory]
    [InlineData(20, true)]
    [InlineData(20, false)]
    [InlineData(56, false)]
    public void Cifar_net_counts_match_the_hand_derivation_for_any_bn_input_width_and_classes(int depth, bool batchNorm)
    {
        using var rgb = Build(new ModelSpec(ModelFamily.CifarResNet, depth, batchNorm));
        using var gray100 = Build(new ModelSpec(ModelFamily.CifarResNet, depth, batchNorm, InputChannels: 1, InputSize: 28, Classes: 100, BaseWidth: 8));

        Assert.Equal(CifarParameters(depth, batchNorm), ParameterCount(rgb));
        Assert.Equal(CifarParameters(depth, batchNorm, inputChannels: 1, classes: 100, width: 8), ParameterCount(gray100));
    }

    [Theory]
    [InlineData(20, true)]
    [InlineData(20, false)]
    [InlineData(56, true)]
    [InlineData(110, false)]
    public void Plain_and_residual_cifar_nets_have_equal_parameter_counts(int depth, bool batchNorm)
    {
        using var residual = Build(new ModelSpec(ModelFamily.CifarResNet, depth, batchNorm, Shortcuts: true));
        using var plain = Build(new ModelSpec(ModelFamily.CifarResNet, depth, batchNorm, Shortcuts: false));

        Assert.Equal(ParameterCount(residual), ParameterCount(plain));
        Assert.Equal(residual.state_dict().Keys, plain.state_dict().Keys);
    }

    [Theory]
    [InlineData(11, true)]
    [InlineData(16, false)]
    [InlineData(24, true)]
    public void Plain_and_residual_vggs_have_equal_parameter_counts(int depth, bool batchNorm)
    {
        using var residual = Build(new ModelSpec(ModelFamily.Vgg, depth, batchNorm, Shortcuts: true));
        using var plain = Build(new ModelSpec(ModelFamily.Vgg, depth, batchNorm, Shortcuts: false));

        Assert.Equal(ParameterCount(residual), ParameterCount(plain));
        Assert.Equal(residual.state_dict().Keys, plain.state_dict().Keys);
    }

    // torchvision's published counts for the ImageNet models, to the paper's precision of 0.1M.
    [Theory]
    [InlineData(101, 44.5e6)]
    [InlineData(152, 60.2e6)]
    public void Imagenet_resnets_have_the_published_parameter_counts(int depth, double published)
    {
        using var model = Build(new ModelSpec(ModelFamily.ResNet, depth, InputSize: 224, Classes: 1000));

        Assert.InRange(ParameterCount(model), published - 0.05e6, published + 0.05e6);
    }

    [Theory]
    [InlineData(18, true)]
    [InlineData(50, true)]
    [InlineData(50, false)]
    public void Plain_resnets_lack_exactly_the_projection_shortcuts(int depth, bool batchNorm)
    {
        using var residual = Build(new ModelSpec(ModelFamily.ResNet, depth, batchNorm, Shortcuts: true));
        using var plain = Build(new ModelSpec(ModelFamily.ResNet, depth, batchNorm, Shortcuts: false));
        var projections = residual.named_parameters().Where(p => p.name.Contains(".downsample.")).Sum(p => p.parameter.numel());

        Assert.Equal(ParameterCount(residual) - projections, ParameterCount(plain));
        Assert.Equal(ProjectionParameters(depth, batchNorm), projections);
        Assert.DoesNotContain(plain.named_parameters(), p => p.name.Contains("downsample"));
    }

    /// <summary>
    /// One 1x1 projection at the first block of each stage whose shape changes: stages 2-4 always (stride 2),
    /// stage 1 only for bottlenecks (64 -> 256 channels). Each is a conv plus BN's weight and bias, or a conv bias.
    /// </summary>
    private static long ProjectionParameters(int depth, bool batchNorm)
    {
        var bottleneck = depth >= 50;
        var expansion = bottleneck ? 4 : 1;
        long total = 0;
        long inWidth = 64;
        for (var stage = 0; stage < 4; stage++)
        {
            long outWidth = (64 << stage) * expansion;
            if (stage > 0 || bottleneck) total += inWidth * outWidth + (batchNorm ? 2 : 1) * outWidth;
            inWidth = outWidth;
        }
        return total;
    }
}
