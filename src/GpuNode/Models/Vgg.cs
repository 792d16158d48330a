using System.Globalization;
using ClusterTrain.Shared.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Models;

/// <summary>
/// VGG-N: N-3 3x3 convs in five stages of widths w, 2w, 4w, 8w, 8w (w = base width, 64 by default), a 2x2
/// max-pool after each stage, and a 3-layer classifier, so N weight layers in all. VGG-11/13/16/19 follow
/// Simonyan and Zisserman Table 1 (configs A, B, D, E); any other N spreads its convs as evenly as possible
/// over the stages, the later stages taking the remainder (this also reproduces A, B and D, not E).
/// <para>
/// Field names follow torchvision: features.N (conv, [BN], ReLU, ..., MaxPool) and classifier.N (Linear,
/// ReLU, Dropout, Linear, ReLU, Dropout, Linear). As everywhere in the zoo, convs carry a bias only without BN:
/// torchvision's vgg*_bn keep a bias that BN cancels, so they have those few parameters more (2,752 for VGG-11-bn).
/// </para>
/// <para>
/// Classifier: it is sized to the input, not to torchvision's fixed 7x7 adaptive pool: flattened features
/// (input_size/32)^2 x 8w, then hidden, hidden, classes. Hidden is 64w (4096) for ImageNet-sized inputs and 8w
/// (512) for small ones, where a 4096-wide head would dwarf the 1x1x512 features it reads (and hold most of
/// the parameters). VGG has no stem, so <see cref="ModelSpec.UsesSmallStem"/> selects the small head.
/// </para>
/// <para>
/// Residual form: an identity shortcut around every conv whose input and output widths are equal, added
/// before that conv's ReLU. It has no parameters, so the residual form is parameter-identical to the plain one.
/// </para>
/// </summary>
internal sealed class Vgg : nn.Module<Tensor, Tensor>
{
    internal const int Stages = 5;
    internal const int ClassifierLayers = 3;
    internal const int MinDepth = Stages + ClassifierLayers;
    internal const double DropoutRate = 0.5;

    private readonly Sequential features;
    private readonly Sequential classifier;

    // The forward pass walks these views of the registered modules, since a Sequential cannot add shortcuts;
    // it applies the ReLUs in place itself (features' ReLU modules only keep torchvision's indices).
    private readonly Step[] steps;
    private readonly Linear[] linears;
    private readonly Dropout[] dropouts;

    private readonly record struct Step(Conv2d? Conv, BatchNorm2d? Bn, bool Shortcut, MaxPool2d? Pool);

    internal Vgg(ModelSpec spec) : base(spec.DisplayName)
    {
        long width = spec.EffectiveBaseWidth;
        var stageWidths = new[] { width, 2 * width, 4 * width, 8 * width, 8 * width };
        var convsPerStage = ConvsPerStage(spec.Depth);

        var featureModules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var stepList = new List<Step>();
        long channels = spec.InputChannels;
        for (var stage = 0; stage < Stages; stage++)
        {
            for (var i = 0; i < convsPerStage[stage]; i++)
            {
                var outChannels = stageWidths[stage];
                var conv = Layers.Conv(channels, outChannels, 3, 1, spec.BatchNorm);
                var bn = Layers.BatchNorm(outChannels, spec.BatchNorm);
                Add(featureModules, conv);
                if (bn is not null) Add(featureModules, bn);
                Add(featureModules, nn.ReLU(inplace: true));
                stepList.Add(new Step(conv, bn, spec.Shortcuts && channels == outChannels, null));
                channels = outChannels;
            }
            var pool = nn.MaxPool2d(kernel_size: 2, stride: 2);
            Add(featureModules, pool);
            stepList.Add(new Step(null, null, false, pool));
        }

        var flattened = FeatureMapSize(spec.InputSize) * FeatureMapSize(spec.InputSize) * channels;
        var hidden = spec.UsesSmallStem ? channels : 8 * channels;
        linears = [nn.Linear(flattened, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, spec.Classes)];
        dropouts = [nn.Dropout(DropoutRate), nn.Dropout(DropoutRate)];

        features = nn.Sequential(featureModules);
        classifier = nn.Sequential(
            ("0", linears[0]), ("1", nn.ReLU(inplace: true)), ("2", dropouts[0]),
            ("3", linears[1]), ("4", nn.ReLU(inplace: true)), ("5", dropouts[1]),
            ("6", linears[2]));
        steps = [.. stepList];
        RegisterComponents();
    }

    private static void Add(List<(string, nn.Module<Tensor, Tensor>)> modules, nn.Module<Tensor, Tensor> module) =>
        modules.Add((modules.Count.ToString(CultureInfo.InvariantCulture), module));

    /// <summary>Side of the last feature map: five floor-halvings of the input side.</summary>
    internal static long FeatureMapSize(int inputSize) => inputSize >> Stages;

    internal static int[] ConvsPerStage(int depth)
    {
        switch (depth)
        {
            case 11: return [1, 1, 2, 2, 2];
            case 13: return [2, 2, 2, 2, 2];
            case 16: return [2, 2, 3, 3, 3];
            case 19: return [2, 2, 4, 4, 4];
        }
        var convs = depth - ClassifierLayers;
        var perStage = new int[Stages];
        for (var stage = 0; stage < Stages; stage++)
        {
            perStage[stage] = convs / Stages + (stage >= Stages - convs % Stages ? 1 : 0);
        }
        return perStage;
    }

    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var step in steps)
        {
            Tensor y;
            if (step.Pool is not null)
            {
                y = step.Pool.call(x);
            }
            else
            {
                y = Layers.ConvBn(step.Conv!, step.Bn, x);
                if (step.Shortcut) y.add_(x);
                y.relu_();
            }
            if (!ReferenceEquals(x, input)) x.Dispose();
            x = y;
        }

        using var flat = x.flatten(1);
        x.Dispose();
        using var h1 = linears[0].call(flat).relu_();
        using var d1 = dropouts[0].call(h1);
        using var h2 = linears[1].call(d1).relu_();
        using var d2 = dropouts[1].call(h2);
        return linears[2].call(d2);
    }
}
