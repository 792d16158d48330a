using ClusterTrain.Shared.Models;
using TorchSharp;
using TorchSharp.Modules;
using static ClusterTrain.GpuNode.Tests.Models.ModelTesting;

namespace ClusterTrain.GpuNode.Tests.Models;

/// <summary>
/// Our 224-px ImageNet models against TorchVision's, built side by side (one pair at a time: VGG-16 alone is
/// half a gigabyte of weights).
/// </summary>
public class TorchVisionCrossCheckTests
{
    [Fact]
    public void Resnet50_matches_torchvision_in_parameter_count_and_names()
    {
        using var ours = Build(new ModelSpec(ModelFamily.ResNet, 50, InputSize: 224, Classes: 1000));
        using var reference = torchvision.models.resnet50(num_classes: 1000);

        Assert.Equal(ParameterCount(reference), ParameterCount(ours));
        Assert.Equal(reference.state_dict().Keys, ours.state_dict().Keys);
        Assert.InRange(ParameterCount(ours), 25.55e6, 25.65e6);
    }

    [Fact]
    public void Resnet18_matches_torchvision_in_parameter_count_and_names()
    {
        using var ours = Build(new ModelSpec(ModelFamily.ResNet, 18, Stem: StemKind.ImageNet, Classes: 1000));
        using var reference = torchvision.models.resnet18(num_classes: 1000);

        Assert.Equal(ParameterCount(reference), ParameterCount(ours));
        Assert.Equal(reference.state_dict().Keys, ours.state_dict().Keys);
    }

    [Fact]
    public void Vgg16_matches_torchvision_in_parameter_count_and_names()
    {
        using var ours = Build(new ModelSpec(ModelFamily.Vgg, 16, BatchNorm: false, Shortcuts: false, InputSize: 224, Classes: 1000));
        using var reference = torchvision.models.vgg16(num_classes: 1000);

        Assert.Equal(ParameterCount(reference), ParameterCount(ours));
        Assert.Equal(reference.state_dict().Keys, ours.state_dict().Keys);
        Assert.InRange(ParameterCount(ours), 138.355e6, 138.365e6);
    }

    [Fact]
    public void Vgg11_with_bn_matches_torchvision_except_for_the_conv_biases_that_bn_cancels()
    {
        using var ours = Build(new ModelSpec(ModelFamily.Vgg, 11, BatchNorm: true, Shortcuts: false, InputSize: 224, Classes: 1000));
        using var reference = torchvision.models.vgg11_bn(num_classes: 1000);
        var referenceConvBiases = reference.named_modules()
            .Where(m => m.module is Convolution)
            .Select(m => $"{m.name}.bias")
            .ToHashSet();

        Assert.Equal(
            ParameterCount(reference) - referenceConvBiases.Sum(name => Param(reference, name).numel()),
            ParameterCount(ours));
        Assert.Equal(reference.state_dict().Keys.Where(k => !referenceConvBiases.Contains(k)), ours.state_dict().Keys);
    }
}
