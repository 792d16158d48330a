namespace ClusterTrain.Shared.Models;

/// <summary>What makes a <see cref="ModelSpec"/> buildable. Problem paths are the trial file's keys under "model".</summary>
public static class ModelSpecRules
{
    /// <summary>The depths of ImageNet ResNets (He et al. 2016 Table 1).</summary>
    public static IReadOnlyList<int> ResNetDepths { get; } = [18, 34, 50, 101, 152];

    /// <summary>
    /// VGG-N has N - 3 convolutions over five pooling stages, then three fully connected layers, so the
    /// shallowest has one convolution per stage. VGG-11/13/16/19 take the stages of Simonyan and Zisserman's
    /// Table 1; any other N spreads its convolutions over the five stages.
    /// </summary>
    public const int MinVggDepth = 8;

    /// <summary>Smallest input side, in pixels, that any net takes.</summary>
    public const int MinInputSize = 8;

    /// <summary>Smallest input side the ImageNet stem takes: it divides by 4 before the stages divide further.</summary>
    public const int MinImageNetStemInputSize = 32;

    public static IReadOnlyList<Problem> Validate(ModelSpec spec)
    {
        var problems = new List<Problem>();
        void Add(string key, FormattableString message) =>
            problems.Add(new Problem(key, FormattableString.Invariant(message)));
        var family = ModelFamilyNames.Format(spec.Family);

        switch (spec.Family)
        {
            case ModelFamily.CifarResNet when spec.Depth < 8 || (spec.Depth - 2) % 6 != 0:
                Add("depth", $"{spec.Depth} is not 6n+2 for family {family} with n >= 1, e.g. 20, 32, 44, 56, 110, 1202");
                break;
            case ModelFamily.ResNet when !ResNetDepths.Contains(spec.Depth):
                Add("depth", $"{spec.Depth} is not one of {string.Join(", ", ResNetDepths)} for family {family}");
                break;
            case ModelFamily.Vgg when spec.Depth < MinVggDepth:
                Add("depth", $"{spec.Depth} is below {MinVggDepth}, the shallowest {family} (one convolution in each of five stages, three fully connected layers)");
                break;
        }

        if (spec.Classes < 2) Add("classes", $"{spec.Classes} is below 2");
        if (spec.InputChannels < 1) Add("input_channels", $"{spec.InputChannels} is below 1");
        if (spec.InputSize < MinInputSize)
            Add("input_size", $"{spec.InputSize} is below {MinInputSize}, the smallest input any net takes");
        else if (spec.Family != ModelFamily.CifarResNet && !spec.UsesSmallStem && spec.InputSize < MinImageNetStemInputSize)
            Add("input_size", $"{spec.InputSize} is below {MinImageNetStemInputSize}, the smallest input the imagenet stem takes (use stem: small)");
        if (spec.BaseWidth < 1) Add("base_width", $"{spec.BaseWidth} is below 1");
        return problems;
    }
}
