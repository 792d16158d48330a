using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Shared.Training;

/// <summary>One dotted key of a trial ("model.depth"): how to read it into a config and write it out.</summary>
internal abstract class TrialParameter(string key)
{
    public string Key { get; } = key;

    public string Section => Key.Contains('.') ? Key[..Key.IndexOf('.')] : "";

    public string Name => Key[(Key.IndexOf('.') + 1)..];

    /// <summary>The config with this key set from <paramref name="value"/>, or unchanged with a problem added.</summary>
    public abstract TrialConfig Apply(TrialConfig config, YamlNode value, ProblemList problems);

    /// <summary>The key's value in <paramref name="config"/> as YAML flow text.</summary>
    public abstract string Format(TrialConfig config);
}

internal sealed class TrialParameter<T>(
    string key, YamlCodec<T> codec, Func<TrialConfig, T> get, Func<TrialConfig, T, TrialConfig> set)
    : TrialParameter(key)
{
    public override TrialConfig Apply(TrialConfig config, YamlNode value, ProblemList problems)
    {
        try
        {
            return set(config, codec.Read(value));
        }
        catch (YamlValueException e)
        {
            problems.Add(Key, e.Message, e.Line);
            return config;
        }
    }

    public override string Format(TrialConfig config) => codec.Write(get(config));
}
