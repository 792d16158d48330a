namespace ClusterTrain.Shared.Models;

/// <summary>Names of the model families in trial files and on the command line.</summary>
public static class ModelFamilyNames
{
    public static EnumNames<ModelFamily> Table { get; } = new(
        (ModelFamily.CifarResNet, "cifar-resnet"),
        (ModelFamily.ResNet, "resnet"),
        (ModelFamily.Vgg, "vgg"));

    public static string Format(ModelFamily family) => Table.Format(family);

    public static bool TryParse(string name, out ModelFamily family) => Table.TryParse(name, out family);

    /// <exception cref="FormatException">Names the bad value and lists the families.</exception>
    public static ModelFamily Parse(string name) => Table.Parse(name);
}
