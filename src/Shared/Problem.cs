namespace ClusterTrain.Shared;

/// <summary>One thing wrong with a configuration.</summary>
/// <param name="Path">Dotted key of the offending value, e.g. "model.depth"; empty for the file as a whole.</param>
/// <param name="Line">1-based line in the source, when known.</param>
/// <param name="Source">File (or other source) name, when known.</param>
public sealed record Problem(string Path, string Message, int? Line = null, string? Source = null)
{
    /// <summary>"trial.yaml:3: model.depth: 21 is not 6n+2 for family cifar-resnet", leaving out what is unknown.</summary>
    public override string ToString()
    {
        var where = Source is null ? "" : Line is null ? $"{Source}: " : $"{Source}:{Line}: ";
        return Path.Length == 0 ? where + Message : $"{where}{Path}: {Message}";
    }
}
