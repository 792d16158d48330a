using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.Models;
using TorchSharp;
using static ClusterTrain.GpuNode.Tests.Models.ModelTesting;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Tests.Models;

public class ForwardTests
{
    [Theory]
    [InlineData(ModelFamily.CifarResNet, 20, true, 2)]
    [InlineData(ModelFamily.CifarResNet, 56, false, 2)]
    [InlineData(ModelFamily.ResNet, 18, true, 2)]
    [InlineData(ModelFamily.ResNet, 50, false, 2)]
    [InlineData(ModelFamily.ResNet, 152, true, 1)]
    [InlineData(ModelFamily.Vgg, 16, true, 2)]
    [InlineData(ModelFamily.Vgg, 50, false, 2)]
    public void Networks_map_32px_images_to_one_row_of_logits_each(ModelFamily family, int depth, bool shortcuts, int batch)
    {
        using var model = ModelFactory.Create(new ModelSpec(family, depth, Shortcuts: shortcuts));
        model.eval();
        using var noGrad = no_grad();
        using var images = randn(batch, 3, 32, 32);

        using var logits = model.call(images);

        Assert.Equal(new long[] { batch, 10 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_cifar_net_takes_mnist_shaped_input(bool shortcuts)
    {
        using var model = ModelFactory.Create(new ModelSpec(ModelFamily.CifarResNet, 20, Shortcuts: shortcuts, InputChannels: 1, InputSize: 28));
        using var digits = randn(2, 1, 28, 28);

        using var logits = model.call(digits);

        Assert.Equal(new long[] { 2, 10 }, logits.shape);
    }

    [Fact]
    public void The_imagenet_stem_downsamples_with_a_7x7_conv_and_a_max_pool()
    {
        using var imagenet = ModelFactory.Create(new ModelSpec(ModelFamily.ResNet, 18, Stem: StemKind.ImageNet, Classes: 1000));
        using var small = ModelFactory.Create(new ModelSpec(ModelFamily.ResNet, 18, Stem: StemKind.Small, Classes: 1000));
        imagenet.eval();
        using var noGrad = no_grad();
        using var images = randn(2, 3, 64, 64);
        var layer1Input = new List<long[]>();
        var layer1 = imagenet.named_modules().Single(m => m.name == "layer1").module;
        ((nn.Module<Tensor, Tensor>)layer1).register_forward_hook((_, input, output) => { layer1Input.Add(input.shape); return output; });

        using var logits = imagenet.call(images);

        Assert.Equal(new long[] { 2, 1000 }, logits.shape);
        Assert.Equal(new long[] { 2, 64, 16, 16 }, layer1Input.Single());
        Assert.Equal(new long[] { 64, 3, 7, 7 }, Param(imagenet, "conv1.weight").shape);
        Assert.Equal(new long[] { 64, 3, 3, 3 }, Param(small, "conv1.weight").shape);
    }

    [Theory]
    [InlineData(ModelFamily.CifarResNet, 20, true)]
    [InlineData(ModelFamily.ResNet, 18, true)]
    [InlineData(ModelFamily.Vgg, 11, true)]
    [InlineData(ModelFamily.CifarResNet, 20, false)]
    [InlineData(ModelFamily.ResNet, 50, false)]
    public void Backpropagation_reaches_every_weight_layer(ModelFamily family, int depth, bool batchNorm)
    {
        // Narrow nets: the in-place ReLUs and shortcut additions under test do not depend on the width.
        using var model = ModelFactory.Create(new ModelSpec(family, depth, batchNorm, BaseWidth: 8));
        model.train();
        using var images = randn(4, 3, 32, 32);
        using var labels = tensor(new long[] { 0, 1, 2, 3 });

        using var logits = model.call(images);
        using var loss = nn.functional.cross_entropy(logits, labels);
        loss.backward();

        Assert.All(ModelFactory.WeightLayers(model), layer =>
        {
            var grad = layer.Weight.grad;
            Assert.NotNull(grad);
            Assert.True(grad.isfinite().all().item<bool>(), $"{layer.Name} has a non-finite gradient");
            Assert.True(grad.abs().sum().item<float>() > 0, $"{layer.Name} has a zero gradient");
        });
    }

    [Theory]
    [InlineData(ModelFamily.CifarResNet, 20, false)]
    [InlineData(ModelFamily.CifarResNet, 20, true)]
    [InlineData(ModelFamily.Vgg, 11, true)]
    public void Shortcuts_change_the_output_of_a_net_with_identical_weights(ModelFamily family, int depth, bool batchNorm)
    {
        using var plain = ModelFactory.Create(new ModelSpec(family, depth, batchNorm, Shortcuts: false));
        using var residual = ModelFactory.Create(new ModelSpec(family, depth, batchNorm, Shortcuts: true));
        residual.load_state_dict(plain.state_dict());
        plain.eval();
        residual.eval();
        using var noGrad = no_grad();
        using var images = randn(2, 3, 32, 32);

        using var plainLogits = plain.call(images);
        using var residualLogits = residual.call(images);
        using var plainAgain = plain.call(images);

        Assert.True(plainLogits.allclose(plainAgain));
        Assert.False(plainLogits.allclose(residualLogits, rtol: 1e-3, atol: 1e-5));
    }

    [Fact]
    public void Residual_blocks_with_silenced_second_convs_pass_the_option_a_shortcut_through()
    {
        // With every block's last conv zeroed, each block returns relu(0 + shortcut(x)) = shortcut(x), since x is
        // already a ReLU output. Stages 2 and 3 each subsample by 2 and append zero channels, so the pooled
        // features are the stem's channels (at every 4th pixel) followed by zeros.
        using var model = ModelFactory.Create(new ModelSpec(ModelFamily.CifarResNet, 20, BatchNorm: false));
        model.eval();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters().Where(p => p.name.Contains(".conv2.")))
            parameter.zero_();
        using var images = randn(2, 3, 32, 32);

        using var logits = model.call(images);

        using var stem = nn.functional.conv2d(images, Param(model, "conv1.weight"), Param(model, "conv1.bias"), padding: [1, 1]).relu_();
        using var pooled = stem.slice(2, 0, 32, 4).slice(3, 0, 32, 4).mean([2, 3]);
        using var features = nn.functional.pad(pooled, [0, 48]);
        using var expected = nn.functional.linear(features, Param(model, "fc.weight"), Param(model, "fc.bias"));
        Assert.True(logits.allclose(expected, rtol: 1e-4, atol: 1e-5));
    }
}
