namespace ClusterTrain.Shared.Models;

/// <summary>Network families. Each exists in a residual and a plain form of identical shape.</summary>
public enum ModelFamily
{
    /// <summary>He et al. 2016 section 4.2: 6n+2 layers, 16/32/64 filters, option-A shortcuts.</summary>
    CifarResNet,
    /// <summary>ImageNet-style ResNet-18/34 (basic blocks) and 50/101/152 (bottleneck blocks).</summary>
    ResNet,
    /// <summary>VGG-11/13/16/19 (Simonyan and Zisserman Table 1) and deep VGG-N for any N from 8 up.</summary>
    Vgg,
}

public enum InitScheme
{
    /// <summary>Whatever TorchSharp's layer constructors do (PyTorch's kaiming_uniform with a=sqrt(5)).</summary>
    Default,
    /// <summary>He et al. 2015: normal, fan-out, gain sqrt(2), on conv and linear weights; zero biases.</summary>
    He,
    /// <summary>Glorot and Bengio 2010: uniform, fan-in + fan-out; zero biases.</summary>
    Xavier,
}

public enum StemKind
{
    /// <summary>Small-input stem when the input is at most 64 px, otherwise the ImageNet stem.</summary>
    Auto,
    /// <summary>3x3 stride-1 conv, no max-pool: for 32x32 inputs.</summary>
    Small,
    /// <summary>7x7 stride-2 conv and 3x3 stride-2 max-pool.</summary>
    ImageNet,
}

/// <summary>Everything needed to build a network. Depth is data: one spec type covers every depth.</summary>
/// <param name="BaseWidth">Filters of the first stage; null takes the family's default (16 CIFAR, 64 otherwise).</param>
public sealed record ModelSpec(
    ModelFamily Family,
    int Depth,
    bool BatchNorm = true,
    bool Shortcuts = true,
    InitScheme Init = InitScheme.He,
    int? BaseWidth = null,
    int InputChannels = 3,
    int InputSize = 32,
    int Classes = 10,
    StemKind Stem = StemKind.Auto)
{
    public int EffectiveBaseWidth => BaseWidth ?? (Family == ModelFamily.CifarResNet ? 16 : 64);

    public bool UsesSmallStem => Stem switch
    {
        StemKind.Small => true,
        StemKind.ImageNet => false,
        _ => InputSize <= 64,
    };

    /// <summary>Names as in the papers: "ResNet-56", "plain-56", "ResNet-152", "plain-152", "VGG-16-bn".</summary>
    public string DisplayName => Family switch
    {
        ModelFamily.Vgg => $"VGG-{Depth}{(BatchNorm ? "-bn" : "")}{(Shortcuts ? "-res" : "")}",
        _ => $"{(Shortcuts ? "ResNet" : "plain")}-{Depth}{(BatchNorm ? "" : "-nobn")}",
    };
}
