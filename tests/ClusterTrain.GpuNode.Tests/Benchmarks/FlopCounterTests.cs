using ClusterTrain.GpuNode.Benchmarks;
using ClusterTrain.Shared.Models;

namespace ClusterTrain.GpuNode.Tests.Benchmarks;

public class FlopCounterTests
{
    /// <summary>
    /// He et al.'s CIFAR net by hand: a 3x3 conv 3->16 on 32x32, then three stages of 2n 3x3 convs with
    /// 16/32/64 filters on 32/16/8 maps (the first conv of a stage reads the previous width), and a 64->10 fc.
    /// </summary>
    private static long CifarForwardMacs(int depth)
    {
        var blocks = (depth - 2) / 6;
        long macs = 32 * 32 * 16 * 3 * 9;
        long inWidth = 16;
        for (var stage = 0; stage < 3; stage++)
        {
            long width = 16 << stage, map = 32 >> stage;
            macs += map * map * width * inWidth * 9 + (2 * blocks - 1) * map * map * width * width * 9;
            inWidth = width;
        }
        return macs + 64 * 10;
    }

    [Theory]
    [InlineData(20)]
    [InlineData(56)]
    public void Forward_multiply_adds_of_a_cifar_resnet_match_the_hand_count(int depth)
    {
        var macs = FlopCounter.ForwardMacsPerImage(new ModelSpec(ModelFamily.CifarResNet, depth));

        Assert.Equal(CifarForwardMacs(depth), macs);
    }

    [Fact]
    public void Plain_and_residual_cifar_nets_do_the_same_counted_arithmetic()
    {
        var residual = FlopCounter.ForwardMacsPerImage(new ModelSpec(ModelFamily.CifarResNet, 20));
        var plain = FlopCounter.ForwardMacsPerImage(new ModelSpec(ModelFamily.CifarResNet, 20, Shortcuts: false));

        Assert.Equal(residual, plain);
    }

    [Fact]
    public void A_training_step_counts_three_forward_passes_of_two_flops_per_multiply_add()
    {
        var spec = new ModelSpec(ModelFamily.CifarResNet, 20);

        Assert.Equal(6.0 * CifarForwardMacs(20), FlopCounter.TrainingFlopsPerImage(spec));
    }

    [Fact]
    public void The_small_input_stem_keeps_the_full_resolution_and_so_costs_more_than_the_imagenet_stem()
    {
        // Same layers; the ImageNet stem quarters the resolution twice before the first stage (a 16x smaller map).
        var small = FlopCounter.ForwardMacsPerImage(new ModelSpec(ModelFamily.ResNet, 18, Stem: StemKind.Small));
        var imageNet = FlopCounter.ForwardMacsPerImage(new ModelSpec(ModelFamily.ResNet, 18, Stem: StemKind.ImageNet));

        Assert.True(small > 10 * imageNet, $"small stem {small:N0} MACs, ImageNet stem {imageNet:N0}");
    }
}
