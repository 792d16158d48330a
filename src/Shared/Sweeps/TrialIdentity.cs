using System.Security.Cryptography;
using System.Text;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Sweeps;

/// <summary>
/// Stable ids from what a trial computes, so that a sweep submitted again (reformatted, keys reordered,
/// grid extended) or resumed finds the trials it already ran.
/// </summary>
public static class TrialIdentity
{
    /// <summary>Hex digits of an id: 48 bits, so a clash among 10,000 trials has odds of about 1 in 5 million.</summary>
    public const int IdLength = 12;

    // Where a trial runs and how often it saves do not change what it computes: a sweep submitted again
    // with other resources or another checkpoint interval must still find its trials.
    private static readonly string[] Placement = ["checkpoint_every", "threads", "device"];

    private static readonly string[] Seedless = [.. Placement, "seed"];

    /// <summary>
    /// "key: value" lines for every trial parameter but checkpoint_every, threads and device, in the key
    /// table's order, each value in its one canonical, culture-invariant spelling. The dataset path is
    /// taken as it is (<see cref="SweepFile"/> makes it absolute) less any trailing separator.
    /// </summary>
    public static string CanonicalText(TrialConfig config) => Text(config, Placement);

    public static string TrialId(TrialConfig config) => Hash("trial\n" + CanonicalText(config));

    /// <summary>The same for configs that differ only in seed (or placement); never equal to a trial id of the same config.</summary>
    public static string ConfigurationKey(TrialConfig config) => Hash("configuration\n" + Text(config, Seedless));

    /// <summary>From the sweep's name and its set of trial ids: order and repetition do not matter.</summary>
    public static string SweepId(string name, IEnumerable<string> trialIds) =>
        Hash($"sweep\n{name}\n{string.Join("\n", trialIds.Distinct().Order(StringComparer.Ordinal))}");

    private static string Text(TrialConfig config, IReadOnlyCollection<string> leftOut)
    {
        if (config.Data.Path is { } path)
            config = config with { Data = config.Data with { Path = Path.TrimEndingDirectorySeparator(path) } };
        var text = new StringBuilder();
        foreach (var key in TrialParameters.Keys.Where(k => !leftOut.Contains(k)))
            text.Append(key).Append(": ").Append(TrialParameters.Format(config, key)).Append('\n');
        return text.ToString();
    }

    private static string Hash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..IdLength];
}
