using ClusterTrain.Shared.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Models;

/// <summary>
/// Builds the model zoo from a <see cref="ModelSpec"/>: CIFAR ResNets (6n+2), ImageNet-style ResNets and VGG-N,
/// each in a residual and a plain form. Parameter names follow torchvision (conv1, layer2.0.conv1, fc;
/// features.0, classifier.6): they key saved weights and gradient statistics.
/// </summary>
public static class ModelFactory
{
    /// <summary>Builds and initializes the network described by <paramref name="spec"/>.</summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>Plain and residual forms share every layer; only ImageNet ResNets differ in parameters, by their
    /// 1x1 projection shortcuts ("downsample"), which the paper's plain nets do not have.</item>
    /// <item>Convs carry a bias only when the net has no batch norm (BN's shift makes one redundant).</item>
    /// <item>Stem: CIFAR nets always use their 3x3 conv (Auto and Small accepted); ResNets follow
    /// <see cref="ModelSpec.UsesSmallStem"/>; VGG has no stem and uses it to size its classifier (see <see cref="Vgg"/>).</item>
    /// <item>Base width: filters of the first stage; later stages double it as in the papers.</item>
    /// </list>
    /// </remarks>
    /// <exception cref="ArgumentException">The spec describes no network of its family (the message says why).</exception>
    public static nn.Module<Tensor, Tensor> Create(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Validate(spec);
        nn.Module<Tensor, Tensor> model = spec.Family switch
        {
            ModelFamily.CifarResNet => new CifarResNet(spec),
            ModelFamily.ResNet => new ImageNetResNet(spec),
            _ => new Vgg(spec),
        };
        Initialize(model, spec.Init);
        return model;
    }

    /// <summary>
    /// Every conv and linear weight (the parameters of dimension 2 and up) with its parameter name, from the
    /// input to the output. Biases and BN affine parameters are left out. The models register their layers in
    /// forward order; in a ResNet block the projection shortcut ("downsample.0") comes after the block's
    /// main-path convs, which is also when the block runs it.
    /// </summary>
    public static IReadOnlyList<(string Name, Parameter Weight)> WeightLayers(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var layers = new List<(string, Parameter)>();
        foreach (var (name, parameter) in module.named_parameters())
        {
            if (parameter.dim() >= 2) layers.Add((name, parameter));
        }
        return layers;
    }

    private static void Validate(ModelSpec spec)
    {
        if (spec.Classes < 1)
            throw new ArgumentException($"{spec.DisplayName}: Classes must be at least 1, got {spec.Classes}.", nameof(spec));
        if (spec.InputChannels < 1)
            throw new ArgumentException($"{spec.DisplayName}: InputChannels must be at least 1, got {spec.InputChannels}.", nameof(spec));
        if (spec.InputSize < 1)
            throw new ArgumentException($"{spec.DisplayName}: InputSize must be at least 1, got {spec.InputSize}.", nameof(spec));
        if (spec.BaseWidth is < 1)
            throw new ArgumentException($"{spec.DisplayName}: BaseWidth must be at least 1, got {spec.BaseWidth}.", nameof(spec));
        if (!Enum.IsDefined(spec.Init))
            throw new ArgumentException($"{spec.DisplayName}: unknown init scheme {spec.Init}.", nameof(spec));
        if (!Enum.IsDefined(spec.Stem))
            throw new ArgumentException($"{spec.DisplayName}: unknown stem kind {spec.Stem}.", nameof(spec));

        switch (spec.Family)
        {
            case ModelFamily.CifarResNet:
                if (spec.Depth < 8 || (spec.Depth - 2) % 6 != 0)
                    throw new ArgumentException(
                        $"CifarResNet depth {spec.Depth} is not 6n+2 with n >= 1 (e.g. 20, 32, 44, 56, 110, 1202).", nameof(spec));
                if (spec.Stem == StemKind.ImageNet)
                    throw new ArgumentException(
                        $"{spec.DisplayName}: CifarResNet has a fixed 3x3 stem; Stem must be Auto or Small, not ImageNet.", nameof(spec));
                break;
            case ModelFamily.ResNet:
                if (!ImageNetResNet.Depths.Contains(spec.Depth))
                    throw new ArgumentException(
                        $"ResNet depth {spec.Depth} is not one of {string.Join(", ", ImageNetResNet.Depths)}.", nameof(spec));
                break;
            case ModelFamily.Vgg:
                if (spec.Depth < Vgg.MinDepth)
                    throw new ArgumentException(
                        $"VGG depth {spec.Depth} is below {Vgg.MinDepth}: VGG-N needs a conv in each of its " +
                        $"{Vgg.Stages} stages plus {Vgg.ClassifierLayers} classifier layers.", nameof(spec));
                if (Vgg.FeatureMapSize(spec.InputSize) < 1)
                    throw new ArgumentException(
                        $"VGG input size {spec.InputSize} is below 32: five 2x2 max-pools would leave no feature map.", nameof(spec));
                break;
            default:
                throw new ArgumentException($"Unknown model family {spec.Family}.", nameof(spec));
        }
    }

    /// <summary>
    /// He: kaiming_normal_ with gain sqrt(2) on every conv (fan-out, as torchvision's ResNet) and linear weight
    /// (fan-in: the fan that preserves forward activations, the usual choice for a classifier head).
    /// Xavier: xavier_uniform_ on conv and linear weights. Both zero all biases and set BN to weight 1, bias 0.
    /// Default keeps what TorchSharp's constructors drew.
    /// </summary>
    private static void Initialize(nn.Module model, InitScheme scheme)
    {
        if (scheme == InitScheme.Default) return;
        using var noGrad = no_grad();
        foreach (var (_, module) in model.named_modules())
        {
            switch (module)
            {
                case Convolution conv:
                    InitWeight(conv.weight, scheme, nn.init.FanInOut.FanOut);
                    if (conv.bias is not null) nn.init.zeros_(conv.bias);
                    break;
                case Linear linear:
                    InitWeight(linear.weight, scheme, nn.init.FanInOut.FanIn);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case BatchNorm bn:
                    if (bn.weight is not null) nn.init.ones_(bn.weight);
                    if (bn.bias is not null) nn.init.zeros_(bn.bias);
                    break;
            }
        }
    }

    private static void InitWeight(Tensor weight, InitScheme scheme, nn.init.FanInOut heMode)
    {
        if (scheme == InitScheme.He)
            nn.init.kaiming_normal_(weight, mode: heMode, nonlinearity: nn.init.NonlinearityType.ReLU);
        else
            nn.init.xavier_uniform_(weight);
    }
}
