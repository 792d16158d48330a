using ClusterTrain.GpuNode.Benchmarks;
using ClusterTrain.Shared.Models;

namespace ClusterTrain.GpuNode.Tests.Benchmarks;

public class BenchmarkModelsTests
{
    [Theory]
    [InlineData("resnet-20", ModelFamily.CifarResNet, 20, true)]
    [InlineData("plain-56", ModelFamily.CifarResNet, 56, false)]
    [InlineData("ResNet-110", ModelFamily.CifarResNet, 110, true)]
    [InlineData("resnet-152", ModelFamily.ResNet, 152, true)]
    [InlineData("plain-50", ModelFamily.ResNet, 50, false)]
    public void Names_as_in_the_papers_name_their_net(string name, ModelFamily family, int depth, bool shortcuts)
    {
        var spec = BenchmarkModels.Parse(name);

        Assert.Equal((family, depth, shortcuts), (spec.Family, spec.Depth, spec.Shortcuts));
        Assert.True(spec.UsesSmallStem);
        Assert.Equal((3, 32, 10), (spec.InputChannels, spec.InputSize, spec.Classes));
    }

    [Theory]
    [InlineData("vgg-16")]
    [InlineData("resnet-21")]
    [InlineData("resnet")]
    [InlineData("plain-")]
    [InlineData("resnet-+20")]
    public void Other_names_are_refused_with_the_name_in_the_message(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => BenchmarkModels.Parse(name));

        Assert.Contains($"'{name}'", error.Message);
    }

    [Fact]
    public void ImageNet_style_nets_default_to_a_smaller_batch_and_fewer_steps()
    {
        var cifar = BenchmarkModels.DefaultsFor(BenchmarkModels.Parse("resnet-56"));
        var imageNet = BenchmarkModels.DefaultsFor(BenchmarkModels.Parse("resnet-152"));

        Assert.Equal(new BenchmarkSteps(128, 5, 30), cifar);
        Assert.Equal(new BenchmarkSteps(32, 3, 5), imageNet);
    }
}
