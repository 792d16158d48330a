using ClusterTrain.GpuNode.Models;
using ClusterTrain.Shared.Models;

namespace ClusterTrain.GpuNode.Tests.Models;

public class InvalidSpecTests
{
    [Theory]
    [InlineData(ModelFamily.CifarResNet, 21, "CifarResNet depth 21 is not 6n+2")]
    [InlineData(ModelFamily.CifarResNet, 2, "CifarResNet depth 2 is not 6n+2")]
    [InlineData(ModelFamily.CifarResNet, -4, "CifarResNet depth -4 is not 6n+2")]
    [InlineData(ModelFamily.ResNet, 20, "ResNet depth 20 is not one of 18, 34, 50, 101, 152")]
    [InlineData(ModelFamily.ResNet, 200, "ResNet depth 200 is not one of")]
    [InlineData(ModelFamily.Vgg, 7, "VGG depth 7 is below 8")]
    public void An_invalid_depth_is_rejected_with_a_message_naming_it(ModelFamily family, int depth, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ModelFactory.Create(new ModelSpec(family, depth)));

        Assert.Contains(message, error.Message);
    }

    public static TheoryData<string, string> InvalidFields => new()
    {
        { "classes", "Classes must be at least 1, got 0" },
        { "channels", "InputChannels must be at least 1, got 0" },
        { "size", "InputSize must be at least 1, got -32" },
        { "width", "BaseWidth must be at least 1, got 0" },
        { "init", "unknown init scheme 42" },
        { "stem", "unknown stem kind 42" },
        { "family", "Unknown model family 42" },
        { "vgg-size", "VGG input size 28 is below 32" },
        { "cifar-stem", "CifarResNet has a fixed 3x3 stem" },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public void An_invalid_field_is_rejected_with_a_message_naming_it(string field, string message)
    {
        var valid = new ModelSpec(ModelFamily.CifarResNet, 20);
        var spec = field switch
        {
            "classes" => valid with { Classes = 0 },
            "channels" => valid with { InputChannels = 0 },
            "size" => valid with { InputSize = -32 },
            "width" => valid with { BaseWidth = 0 },
            "init" => valid with { Init = (InitScheme)42 },
            "stem" => valid with { Stem = (StemKind)42 },
            "family" => valid with { Family = (ModelFamily)42 },
            "vgg-size" => new ModelSpec(ModelFamily.Vgg, 11, InputChannels: 1, InputSize: 28),
            "cifar-stem" => valid with { Stem = StemKind.ImageNet },
            _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
        };

        var error = Assert.Throws<ArgumentException>(() => ModelFactory.Create(spec));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_null_spec_is_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => ModelFactory.Create(null!));
    }
}
