using System.Globalization;
using ClusterTrain.Shared.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Models;

/// <summary>
/// ImageNet-style ResNet-18/34 (basic blocks) and ResNet-50/101/152 (bottleneck blocks, expansion 4), with
/// torchvision's layout and field names: conv1, bn1, layer1..layer4 (blocks "0", "1", ...), fc; block fields
/// conv1/bn1/conv2/bn2(/conv3/bn3) and downsample ("downsample.0" conv, "downsample.1" BN).
/// <para>
/// Residual form: identity shortcuts, and a 1x1 conv + BN projection where the shape changes (option B).
/// Plain form: the paper's plain net, i.e. the same main-path layers with no shortcut branch at all, so it
/// has exactly the projection parameters fewer than the residual form.
/// </para>
/// <para>
/// Stem: 7x7 stride-2 conv and 3x3 stride-2 max-pool (ImageNet), or a 3x3 stride-1 conv and no pool for
/// small inputs (<see cref="ModelSpec.UsesSmallStem"/>). Widths are base, 2, 4, 8 x base (x4 at the bottleneck
/// outputs); a base other than 64 scales the whole net, stem included.
/// </para>
/// </summary>
internal sealed class ImageNetResNet : nn.Module<Tensor, Tensor>
{
    private static readonly long[] SpatialDims = [2, 3];

    internal static IReadOnlyList<int> Depths { get; } = [18, 34, 50, 101, 152];

    // Declared in forward order: registration order is the order of ModelFactory.WeightLayers.
    private readonly Conv2d conv1;
    private readonly BatchNorm2d? bn1;
    private readonly MaxPool2d? maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear fc;

    internal ImageNetResNet(ModelSpec spec) : base(spec.DisplayName)
    {
        var (bottleneck, stages) = Configuration(spec.Depth);
        long width = spec.EffectiveBaseWidth;
        var bn = spec.BatchNorm;
        var expansion = bottleneck ? Bottleneck.Expansion : 1;

        if (spec.UsesSmallStem)
        {
            conv1 = Layers.Conv(spec.InputChannels, width, 3, 1, bn);
        }
        else
        {
            conv1 = Layers.Conv(spec.InputChannels, width, 7, 2, bn);
            maxpool = nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        }
        bn1 = Layers.BatchNorm(width, bn);

        var inWidth = width;
        layer1 = Stage(ref inWidth, width, stages[0], 1, bottleneck, spec);
        layer2 = Stage(ref inWidth, 2 * width, stages[1], 2, bottleneck, spec);
        layer3 = Stage(ref inWidth, 4 * width, stages[2], 2, bottleneck, spec);
        layer4 = Stage(ref inWidth, 8 * width, stages[3], 2, bottleneck, spec);
        fc = nn.Linear(8 * width * expansion, spec.Classes);
        RegisterComponents();
    }

    /// <summary>He et al. 2016 Table 1.</summary>
    internal static (bool Bottleneck, int[] Stages) Configuration(int depth) => depth switch
    {
        18 => (false, [2, 2, 2, 2]),
        34 => (false, [3, 4, 6, 3]),
        50 => (true, [3, 4, 6, 3]),
        101 => (true, [3, 4, 23, 3]),
        152 => (true, [3, 8, 36, 3]),
        _ => throw new ArgumentOutOfRangeException(nameof(depth), depth, "ModelFactory admits only the depths of Table 1."),
    };

    private static Sequential Stage(ref long inWidth, long width, int blocks, long stride, bool bottleneck, ModelSpec spec)
    {
        var modules = new (string, nn.Module<Tensor, Tensor>)[blocks];
        for (var i = 0; i < blocks; i++)
        {
            var blockStride = i == 0 ? stride : 1;
            var name = i.ToString(CultureInfo.InvariantCulture);
            if (bottleneck)
            {
                modules[i] = (name, new Bottleneck(inWidth, width, blockStride, spec.BatchNorm, spec.Shortcuts));
                inWidth = width * Bottleneck.Expansion;
            }
            else
            {
                modules[i] = (name, new BasicBlock(inWidth, width, blockStride, spec.BatchNorm, spec.Shortcuts));
                inWidth = width;
            }
        }
        return nn.Sequential(modules);
    }

    /// <summary>
    /// The option-B projection (torchvision's "downsample"), or null where the identity fits or the net is plain.
    /// </summary>
    internal static Sequential? Projection(long inWidth, long outWidth, long stride, bool bn, bool shortcuts)
    {
        if (!shortcuts || (stride == 1 && inWidth == outWidth)) return null;
        var conv = Layers.Conv(inWidth, outWidth, 1, stride, bn);
        return bn
            ? nn.Sequential(("0", conv), ("1", nn.BatchNorm2d(outWidth)))
            : nn.Sequential(("0", conv));
    }

    public override Tensor forward(Tensor input)
    {
        using var stem = Layers.ConvBnRelu(conv1, bn1, input);
        using var pooled = maxpool is null ? null : maxpool.call(stem);
        using var h1 = layer1.call(pooled ?? stem);
        using var h2 = layer2.call(h1);
        using var h3 = layer3.call(h2);
        using var h4 = layer4.call(h3);
        using var features = h4.mean(SpatialDims);
        return fc.call(features);
    }
}

/// <summary>Two 3x3 convs (ResNet-18/34).</summary>
internal sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    // Main path first, then the projection: registration order matches the order in which forward runs them.
    private readonly Conv2d conv1;
    private readonly BatchNorm2d? bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d? bn2;
    private readonly Sequential? downsample;
    private readonly bool shortcut;

    internal BasicBlock(long inWidth, long width, long stride, bool bn, bool shortcut) : base(nameof(BasicBlock))
    {
        conv1 = Layers.Conv(inWidth, width, 3, stride, bn);
        bn1 = Layers.BatchNorm(width, bn);
        conv2 = Layers.Conv(width, width, 3, 1, bn);
        bn2 = Layers.BatchNorm(width, bn);
        downsample = ImageNetResNet.Projection(inWidth, width, stride, bn, shortcut);
        this.shortcut = shortcut;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var h = Layers.ConvBnRelu(conv1, bn1, input);
        var y = Layers.ConvBn(conv2, bn2, h);
        return Shortcut.Add(y, input, shortcut, downsample).relu_();
    }
}

/// <summary>1x1 reduce, 3x3 (carrying the stride, as torchvision's v1.5), 1x1 expand (ResNet-50/101/152).</summary>
internal sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
    internal const int Expansion = 4;

    // Main path first, then the projection: registration order matches the order in which forward runs them.
    private readonly Conv2d conv1;
    private readonly BatchNorm2d? bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d? bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d? bn3;
    private readonly Sequential? downsample;
    private readonly bool shortcut;

    internal Bottleneck(long inWidth, long width, long stride, bool bn, bool shortcut) : base(nameof(Bottleneck))
    {
        var outWidth = width * Expansion;
        conv1 = Layers.Conv(inWidth, width, 1, 1, bn);
        bn1 = Layers.BatchNorm(width, bn);
        conv2 = Layers.Conv(width, width, 3, stride, bn);
        bn2 = Layers.BatchNorm(width, bn);
        conv3 = Layers.Conv(width, outWidth, 1, 1, bn);
        bn3 = Layers.BatchNorm(outWidth, bn);
        downsample = ImageNetResNet.Projection(inWidth, outWidth, stride, bn, shortcut);
        this.shortcut = shortcut;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var h1 = Layers.ConvBnRelu(conv1, bn1, input);
        using var h2 = Layers.ConvBnRelu(conv2, bn2, h1);
        var y = Layers.ConvBn(conv3, bn3, h2);
        return Shortcut.Add(y, input, shortcut, downsample).relu_();
    }
}

internal static class Shortcut
{
    /// <summary>Adds the (possibly projected) block input to the main-path output in place.</summary>
    internal static Tensor Add(Tensor y, Tensor input, bool shortcut, Sequential? projection)
    {
        if (!shortcut) return y;
        if (projection is null) return y.add_(input);
        using var projected = projection.call(input);
        return y.add_(projected);
    }
}
