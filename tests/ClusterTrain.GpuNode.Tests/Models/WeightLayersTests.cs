using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.Models;
using TorchSharp.Modules;
using static ClusterTrain.GpuNode.Tests.Models.ModelTesting;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Tests.Models;

public class WeightLayersTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_cifar_net_of_depth_20_has_20_weight_layers(bool shortcuts)
    {
        using var model = Build(new ModelSpec(ModelFamily.CifarResNet, 20, Shortcuts: shortcuts));

        var layers = ModelFactory.WeightLayers(model);

        Assert.Equal(20, layers.Count);
        Assert.Equal("conv1.weight", layers[0].Name);
        Assert.Equal("layer1.0.conv1.weight", layers[1].Name);
        Assert.Equal("layer3.2.conv2.weight", layers[^2].Name);
        Assert.Equal("fc.weight", layers[^1].Name);
        Assert.Equal(19, layers.Count(l => l.Weight.dim() == 4));
    }

    [Theory]
    [InlineData(18)]
    [InlineData(152)]
    public void A_plain_resnet_has_as_many_weight_layers_as_its_depth(int depth)
    {
        using var model = Build(new ModelSpec(ModelFamily.ResNet, depth, Shortcuts: false));

        Assert.Equal(depth, ModelFactory.WeightLayers(model).Count);
    }

    [Theory]
    [InlineData(18)]
    [InlineData(152)]
    public void A_residual_resnet_adds_one_projection_per_shape_change(int depth)
    {
        using var model = Build(new ModelSpec(ModelFamily.ResNet, depth, Shortcuts: true));
        var (bottleneck, stages) = ImageNetResNet.Configuration(depth);
        var mainPath = 1 + (bottleneck ? 3 : 2) * stages.Sum() + 1;
        var projections = bottleneck ? 4 : 3; // a basic layer1 keeps 64 channels at stride 1

        var layers = ModelFactory.WeightLayers(model);

        Assert.Equal(depth, mainPath);
        Assert.Equal(mainPath + projections, layers.Count);
        Assert.Equal(projections, layers.Count(l => l.Name.EndsWith(".downsample.0.weight", StringComparison.Ordinal)));
        Assert.Equal("conv1.weight", layers[0].Name);
        Assert.Equal("fc.weight", layers[^1].Name);
    }

    [Fact]
    public void A_projection_follows_the_main_path_convs_of_its_block()
    {
        using var model = Build(new ModelSpec(ModelFamily.ResNet, 50));

        var names = ModelFactory.WeightLayers(model).Select(l => l.Name).Take(6);

        Assert.Equal(
            ["conv1.weight", "layer1.0.conv1.weight", "layer1.0.conv2.weight", "layer1.0.conv3.weight",
             "layer1.0.downsample.0.weight", "layer1.1.conv1.weight"],
            names);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(16)]
    [InlineData(19)]
    [InlineData(50)]
    public void A_vgg_of_depth_n_has_n_weight_layers(int depth)
    {
        using var model = Build(new ModelSpec(ModelFamily.Vgg, depth));

        var layers = ModelFactory.WeightLayers(model);

        Assert.Equal(depth, layers.Count);
        Assert.Equal("features.0.weight", layers[0].Name);
        Assert.Equal("classifier.6.weight", layers[^1].Name);
        Assert.Equal(depth - 3, layers.Count(l => l.Weight.dim() == 4));
    }

    [Theory]
    [InlineData(11, new[] { 1, 1, 2, 2, 2 })]
    [InlineData(13, new[] { 2, 2, 2, 2, 2 })]
    [InlineData(16, new[] { 2, 2, 3, 3, 3 })]
    [InlineData(19, new[] { 2, 2, 4, 4, 4 })]
    [InlineData(8, new[] { 1, 1, 1, 1, 1 })]
    [InlineData(50, new[] { 9, 9, 9, 10, 10 })]
    public void Vgg_stages_follow_table_1_and_spread_deeper_nets_evenly(int depth, int[] convsPerStage)
    {
        using var model = Build(new ModelSpec(ModelFamily.Vgg, depth));
        var convWidths = ModelFactory.WeightLayers(model).Where(l => l.Weight.dim() == 4).Select(l => l.Weight.shape[0]);

        var stageSizes = convWidths.GroupBy(w => w).Select(g => g.Count()).ToList();

        // Stages 4 and 5 both have 512 filters.
        Assert.Equal(convsPerStage[..3].Append(convsPerStage[3] + convsPerStage[4]), stageSizes);
    }

    [Theory]
    [InlineData(ModelFamily.CifarResNet, 20, true)]
    [InlineData(ModelFamily.ResNet, 50, true)]
    [InlineData(ModelFamily.ResNet, 34, false)]
    [InlineData(ModelFamily.Vgg, 13, true)]
    public void Weight_layers_are_listed_in_the_order_the_forward_pass_runs_them(ModelFamily family, int depth, bool shortcuts)
    {
        using var model = Build(new ModelSpec(family, depth, Shortcuts: shortcuts));
        model.eval();
        var executed = new List<string>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module is Convolution or Linear)
                ((nn.Module<Tensor, Tensor>)module).register_forward_hook((_, _, output) => { executed.Add($"{name}.weight"); return output; });
        }
        using var noGrad = no_grad();
        using var images = randn(1, 3, 32, 32);

        using var logits = model.call(images);

        Assert.Equal(ModelFactory.WeightLayers(model).Select(l => l.Name), executed);
    }
}
