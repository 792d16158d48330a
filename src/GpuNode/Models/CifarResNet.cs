using ClusterTrain.Shared.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Models;

/// <summary>
/// He et al. 2016 section 4.2: a 3x3 conv stem, three stages of n basic blocks with widths w/2w/4w on
/// 32/16/8 maps (for 32 px inputs), global average pooling and a linear classifier: 6n+2 weight layers.
/// The residual form uses option-A shortcuts (identity, subsampled and zero-padded where the shape changes),
/// which have no parameters, so the plain form is the same set of layers without the additions.
/// Field names follow torchvision's ResNet: conv1, bn1, layer1..layer3 (blocks "0".."n-1"), fc.
/// </summary>
internal sealed class CifarResNet : nn.Module<Tensor, Tensor>
{
    private static readonly long[] SpatialDims = [2, 3];

    // Declared in forward order: registration order is the order of ModelFactory.WeightLayers.
    private readonly Conv2d conv1;
    private readonly BatchNorm2d? bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Linear fc;

    internal CifarResNet(ModelSpec spec) : base(spec.DisplayName)
    {
        var blocks = (spec.Depth - 2) / 6;
        long width = spec.EffectiveBaseWidth;
        var bn = spec.BatchNorm;

        conv1 = Layers.Conv(spec.InputChannels, width, 3, 1, bn);
        bn1 = Layers.BatchNorm(width, bn);
        layer1 = Stage(width, width, blocks, 1, bn, spec.Shortcuts);
        layer2 = Stage(width, 2 * width, blocks, 2, bn, spec.Shortcuts);
        layer3 = Stage(2 * width, 4 * width, blocks, 2, bn, spec.Shortcuts);
        fc = nn.Linear(4 * width, spec.Classes);
        RegisterComponents();
    }

    private static Sequential Stage(long inWidth, long outWidth, int blocks, long stride, bool bn, bool shortcuts)
    {
        var modules = new (string, nn.Module<Tensor, Tensor>)[blocks];
        for (var i = 0; i < blocks; i++)
        {
            modules[i] = (i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                i == 0
                    ? new CifarBasicBlock(inWidth, outWidth, stride, bn, shortcuts)
                    : new CifarBasicBlock(outWidth, outWidth, 1, bn, shortcuts));
        }
        return nn.Sequential(modules);
    }

    public override Tensor forward(Tensor input)
    {
        using var stem = Layers.ConvBnRelu(conv1, bn1, input);
        using var h1 = layer1.call(stem);
        using var h2 = layer2.call(h1);
        using var h3 = layer3.call(h2);
        using var pooled = h3.mean(SpatialDims);
        return fc.call(pooled);
    }
}

/// <summary>
/// Two 3x3 convs. With shortcuts, the block adds its input (option A where the shape changes: the input is
/// subsampled with stride 2 and the new channels are zeros appended after the existing ones) before the
/// final ReLU, as in the paper; without, it is just the two convs.
/// </summary>
internal sealed class CifarBasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d? bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d? bn2;

    private readonly bool shortcut;
    private readonly long stride;
    // Non-null where the block changes shape. F.pad's (before, after) pairs run from the last dimension
    // backwards: W, H, then channels.
    private readonly long[]? shortcutPad;

    internal CifarBasicBlock(long inWidth, long outWidth, long stride, bool bn, bool shortcut) : base(nameof(CifarBasicBlock))
    {
        conv1 = Layers.Conv(inWidth, outWidth, 3, stride, bn);
        bn1 = Layers.BatchNorm(outWidth, bn);
        conv2 = Layers.Conv(outWidth, outWidth, 3, 1, bn);
        bn2 = Layers.BatchNorm(outWidth, bn);
        this.shortcut = shortcut;
        this.stride = stride;
        shortcutPad = stride == 1 && outWidth == inWidth ? null : [0, 0, 0, 0, 0, outWidth - inWidth];
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var h = Layers.ConvBnRelu(conv1, bn1, input);
        var y = Layers.ConvBn(conv2, bn2, h);
        if (shortcut)
        {
            if (shortcutPad is null)
            {
                y.add_(input);
            }
            else
            {
                using var identity = OptionAShortcut(input);
                y.add_(identity);
            }
        }
        return y.relu_();
    }

    private Tensor OptionAShortcut(Tensor input)
    {
        // Strided views; slicing past the end is clamped by libtorch, so no shape query is needed.
        using var rows = input.slice(2, 0, long.MaxValue, stride);
        using var subsampled = rows.slice(3, 0, long.MaxValue, stride);
        return nn.functional.pad(subsampled, shortcutPad!);
    }
}
