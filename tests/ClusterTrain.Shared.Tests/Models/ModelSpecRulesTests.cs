using ClusterTrain.Shared.Models;

namespace ClusterTrain.Shared.Tests.Models;

public class ModelSpecRulesTests
{
    [Theory]
    [InlineData(ModelFamily.CifarResNet, 8)]
    [InlineData(ModelFamily.CifarResNet, 20)]
    [InlineData(ModelFamily.CifarResNet, 32)]
    [InlineData(ModelFamily.CifarResNet, 44)]
    [InlineData(ModelFamily.CifarResNet, 56)]
    [InlineData(ModelFamily.CifarResNet, 110)]
    [InlineData(ModelFamily.CifarResNet, 1202)]
    [InlineData(ModelFamily.ResNet, 18)]
    [InlineData(ModelFamily.ResNet, 34)]
    [InlineData(ModelFamily.ResNet, 50)]
    [InlineData(ModelFamily.ResNet, 101)]
    [InlineData(ModelFamily.ResNet, 152)]
    [InlineData(ModelFamily.Vgg, 8)]
    [InlineData(ModelFamily.Vgg, 11)]
    [InlineData(ModelFamily.Vgg, 19)]
    [InlineData(ModelFamily.Vgg, 100)]
    public void The_depths_of_the_papers_are_valid(ModelFamily family, int depth)
    {
        Assert.Empty(ModelSpecRules.Validate(new ModelSpec(family, depth)));
    }

    [Theory]
    [InlineData(ModelFamily.CifarResNet, 21, "21 is not 6n+2 for family cifar-resnet")]
    [InlineData(ModelFamily.CifarResNet, 2, "2 is not 6n+2 for family cifar-resnet")]
    [InlineData(ModelFamily.CifarResNet, -4, "-4 is not 6n+2 for family cifar-resnet")]
    [InlineData(ModelFamily.ResNet, 20, "20 is not one of 18, 34, 50, 101, 152 for family resnet")]
    [InlineData(ModelFamily.Vgg, 7, "7 is below 8, the shallowest vgg")]
    public void Other_depths_are_named_with_the_rule_they_break(ModelFamily family, int depth, string expected)
    {
        var problem = Assert.Single(ModelSpecRules.Validate(new ModelSpec(family, depth)));

        Assert.Equal("depth", problem.Path);
        Assert.StartsWith(expected, problem.Message);
    }

    [Fact]
    public void Every_broken_field_is_reported_at_once()
    {
        var spec = new ModelSpec(ModelFamily.ResNet, 50, Classes: 1, InputChannels: 0, InputSize: 7, BaseWidth: 0);

        var problems = ModelSpecRules.Validate(spec);

        Assert.Equal(
            ["classes: 1 is below 2", "input_channels: 0 is below 1",
             "input_size: 7 is below 8, the smallest input any net takes", "base_width: 0 is below 1"],
            problems.Select(p => p.ToString()));
    }

    [Fact]
    public void The_imagenet_stem_needs_at_least_32_pixels()
    {
        var problem = Assert.Single(ModelSpecRules.Validate(
            new ModelSpec(ModelFamily.ResNet, 18, InputSize: 16, Stem: StemKind.ImageNet)));

        Assert.Equal("input_size", problem.Path);
        Assert.Contains("imagenet stem", problem.Message);
    }

    [Theory]
    [InlineData(ModelFamily.ResNet, StemKind.Auto, 16)]
    [InlineData(ModelFamily.ResNet, StemKind.Small, 8)]
    [InlineData(ModelFamily.ResNet, StemKind.ImageNet, 32)]
    [InlineData(ModelFamily.CifarResNet, StemKind.Auto, 8)]
    public void Small_inputs_are_valid_with_a_stem_that_keeps_them(ModelFamily family, StemKind stem, int size)
    {
        Assert.Empty(ModelSpecRules.Validate(new ModelSpec(family, family == ModelFamily.ResNet ? 18 : 20, InputSize: size, Stem: stem)));
    }
}
