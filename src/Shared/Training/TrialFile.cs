using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Shared.Training;

/// <summary>
/// A trial described in YAML: sections model, data, optimizer, schedule and stats, then top-level keys
/// (see <see cref="TrialParameters"/> for every key). Reading reports all problems at once, each as
/// "file:line: key: what is wrong".
/// </summary>
public static class TrialFile
{
    /// <exception cref="ConfigException">The file cannot be read, or describes no valid trial.</exception>
    public static TrialConfig Load(string path)
    {
        string yaml;
        try { yaml = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([new Problem("", $"cannot read the trial file: {e.Message}", Source: path)]);
        }
        return Parse(yaml, path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <param name="sourceName">Named in every problem.</param>
    /// <param name="baseDirectory">Relative dataset paths resolve against it; by default the folder of <paramref name="sourceName"/>.</param>
    /// <exception cref="ConfigException">The YAML describes no valid trial.</exception>
    public static TrialConfig Parse(string yaml, string sourceName, string? baseDirectory = null)
    {
        var problems = new ProblemList(sourceName);
        var root = ReadRoot(yaml, problems, "a trial file");
        problems.ThrowIfAny();

        var config = TrialParameters.Defaults;
        if (root is not null)
            foreach (var (k, v) in root.Children)
            {
                var line = checked((int)k.Start.Line);
                if (k is YamlScalarNode { Value: { Length: > 0 } key })
                    config = TrialParameters.Apply(config, key, v, line, problems);
                else
                    problems.Add("", $"expected a key name, found {YamlCodecs.Describe(k)}", line);
            }

        if (!problems.IsLocated("model"))
            problems.Add("model", "the model section is missing; it needs at least family and depth");
        else
            foreach (var key in new[] { "model.family", "model.depth" })
                if (!problems.IsLocated(key)) problems.Add(key, "required");

        config = TrialRules.ResolvePaths(config, baseDirectory ?? Path.GetDirectoryName(Path.GetFullPath(sourceName))!);
        TrialRules.Validate(config, problems);
        problems.ThrowIfAny();
        return config;
    }

    /// <summary>
    /// YAML that <see cref="Parse"/> reads back into an equal config. A relative dataset path is written as
    /// it is and so resolves against the folder of the file the YAML is saved in.
    /// </summary>
    public static string ToYaml(TrialConfig config) => TrialParameters.ToYaml(config);

    /// <summary>The top-level mapping; null for an empty file, malformed YAML or a top that is no mapping (a problem says which).</summary>
    /// <param name="fileKind">"a trial file", "a sweep spec": named when the YAML holds several documents.</param>
    internal static YamlMappingNode? ReadRoot(string yaml, ProblemList problems, string fileKind)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(yaml));
        try { stream.Load(new Parser(scanner)); }
        catch (YamlException e)
        {
            problems.Add("", $"not valid YAML: {e.Message}", checked((int)e.Start.Line));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this on some malformed input ("[3\nkey: 1"; aaubry/YamlDotNet#541).
            problems.Add("", "not valid YAML: the parser gave up here (is a bracket or quote left open?)",
                checked((int)scanner.CurrentPosition.Line));
            return null;
        }
        if (stream.Documents.Count > 1)
            problems.Add("", $"holds more than one YAML document; {fileKind} has one", checked((int)stream.Documents[1].RootNode.Start.Line));
        if (stream.Documents.Count == 0) return null;
        var root = stream.Documents[0].RootNode;
        if (root is YamlMappingNode mapping) return mapping;
        problems.Add("", $"expected a mapping of keys at the top, found {YamlCodecs.Describe(root)}", checked((int)root.Start.Line));
        return null;
    }
}
