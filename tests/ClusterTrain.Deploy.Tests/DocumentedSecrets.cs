using System.Text.RegularExpressions;

namespace ClusterTrain.Deploy.Tests;

/// <summary>
/// The Secrets docs/kubernetes.md tells users to create (<c>kubectl create secret generic NAME --from-literal=KEY=VALUE
/// --from-file=KEY=FILE</c>): the manifests only reference them, so these stand in for their contents.
/// </summary>
internal static partial class DocumentedSecrets
{
    public const string Document = "docs/kubernetes.md";

    /// <summary>Secret name to key to value (a file's path for <c>--from-file</c>), as the commands in the docs write them.</summary>
    public static IReadOnlyDictionary<string, Dictionary<string, string>> All { get; } = Read();

    public static string ValueOf(string secret, string key) =>
        All.TryGetValue(secret, out var keys) && keys.TryGetValue(key, out var value)
            ? value
            : throw new InvalidOperationException($"{Document} creates no Secret {secret} with key {key}, but a manifest reads it");

    private static Dictionary<string, Dictionary<string, string>> Read()
    {
        // Shell continuation lines joined, so that one command is one line.
        var text = File.ReadAllText(Repository.PathOf(Document)).Replace("\\\n", " ");
        var secrets = new Dictionary<string, Dictionary<string, string>>();
        foreach (Match command in CreateSecret().Matches(text))
        {
            var keys = secrets.TryGetValue(command.Groups[1].Value, out var existing) ? existing : secrets[command.Groups[1].Value] = [];
            foreach (Match option in FromOption().Matches(command.Groups[2].Value))
                keys[option.Groups[1].Value] = option.Groups[2].Success ? option.Groups[2].Value : option.Groups[3].Value;
        }
        return secrets;
    }

    [GeneratedRegex(@"kubectl -n clustertrain create secret generic ([\w-]+)([^\n]*)")]
    private static partial Regex CreateSecret();

    [GeneratedRegex(@"--from-(?:literal|file)=([\w.-]+)=(?:""([^""]*)""|(\S+))")]
    private static partial Regex FromOption();
}
