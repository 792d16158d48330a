using System.Text.RegularExpressions;

namespace ClusterTrain.Deploy.Tests;

/// <summary>A Dockerfile read into stages and instructions: continuation lines joined, comments dropped, global ARG defaults substituted into FROM.</summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(string path, IReadOnlyList<Stage> stages)
    {
        Path = path;
        Stages = stages;
    }

    public string Path { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    public IReadOnlyList<Stage> Stages { get; }

    public Stage Final => Stages[^1];

    public static Dockerfile Parse(string path)
    {
        var instructions = new List<Instruction>();
        var pending = "";
        var lineNumber = 0;
        var startLine = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (pending.Length == 0 && (line.Length == 0 || line.StartsWith('#'))) continue;
            if (pending.Length == 0) startLine = lineNumber;
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            var text = (pending + line).Trim();
            pending = "";
            var space = text.IndexOf(' ');
            instructions.Add(new Instruction(text[..space].ToUpperInvariant(), text[(space + 1)..].Trim(), startLine));
        }

        var arguments = new Dictionary<string, string>();
        var stages = new List<Stage>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "ARG" && stages.Count == 0)
            {
                var parts = instruction.Arguments.Split('=', 2);
                if (parts.Length == 2) arguments[parts[0]] = parts[1];
            }
            else if (instruction.Keyword == "FROM")
            {
                var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var image = Variable().Replace(words[0], m => arguments.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);
                var name = words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                stages.Add(new Stage(name, image, stages.Count, []));
            }
            else if (stages.Count == 0)
                throw new InvalidOperationException($"{path}:{instruction.Line}: {instruction.Keyword} before the first FROM");
            else
                stages[^1].Instructions.Add(instruction);
        }
        return new Dockerfile(path, stages);
    }

    [GeneratedRegex(@"\$\{(\w+)\}")]
    private static partial Regex Variable();
}

internal sealed record Instruction(string Keyword, string Arguments, int Line)
{
    /// <summary>Words of a shell-form instruction, flags included.</summary>
    public string[] Words => Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

internal sealed record Stage(string? Name, string Image, int Index, List<Instruction> Instructions)
{
    public IEnumerable<Instruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    public IEnumerable<Copy> Copies => All("COPY").Select(Copy.Parse);
}

/// <summary>COPY [--from=STAGE] [--chown=...] SOURCE... DESTINATION</summary>
internal sealed record Copy(string? From, IReadOnlyList<string> Sources, string Destination, int Line)
{
    public static Copy Parse(Instruction instruction)
    {
        var words = instruction.Words;
        var from = words.FirstOrDefault(w => w.StartsWith("--from="))?["--from=".Length..];
        var paths = words.Where(w => !w.StartsWith("--")).ToList();
        return new Copy(from, paths[..^1], paths[^1], instruction.Line);
    }

    /// <summary>Whether this copy brings <paramref name="repositoryPath"/> (a file path from the repository root) in.</summary>
    public bool Brings(string repositoryPath) =>
        From is null && Sources.Any(s => s == repositoryPath || (s.EndsWith('/') && repositoryPath.StartsWith(s, StringComparison.Ordinal)));
}
