using ClusterTrain.Shared.Models;

namespace ClusterTrain.Shared.Tests.Models;

public class ModelFamilyNamesTests
{
    [Theory]
    [InlineData(ModelFamily.CifarResNet, "cifar-resnet")]
    [InlineData(ModelFamily.ResNet, "resnet")]
    [InlineData(ModelFamily.Vgg, "vgg")]
    public void Families_are_written_and_read_by_their_file_names(ModelFamily family, string name)
    {
        Assert.Equal(name, ModelFamilyNames.Format(family));
        Assert.Equal(family, ModelFamilyNames.Parse(name));
        Assert.Equal(family, ModelFamilyNames.Parse(name.ToUpperInvariant()));
    }

    [Fact]
    public void An_unknown_family_is_named_with_the_allowed_ones()
    {
        var e = Assert.Throws<FormatException>(() => ModelFamilyNames.Parse("cifarresnet"));

        Assert.Equal("'cifarresnet' is not one of cifar-resnet, resnet, vgg", e.Message);
        Assert.False(ModelFamilyNames.TryParse("densenet", out _));
    }

    [Fact]
    public void A_name_table_must_name_every_value()
    {
        var e = Assert.Throws<ArgumentException>(() => new EnumNames<ModelFamily>((ModelFamily.Vgg, "vgg")));

        Assert.Contains("CifarResNet, ResNet", e.Message);
    }
}
