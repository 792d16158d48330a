using System.Text;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>
/// A table rendered either as aligned plain text for a terminal or as a GitHub markdown table for the docs.
/// Columns whose every cell reads as a number (digits, sign, %, x) or is "-" are right-aligned in both forms.
/// </summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public TextTable Add(params string[] cells)
    {
        if (cells.Length != headers.Length)
            throw new ArgumentException($"a row has {cells.Length} cells, the table {headers.Length} columns.", nameof(cells));
        _rows.Add(cells);
        return this;
    }

    public string Render(bool markdown)
    {
        var columns = Enumerable.Range(0, headers.Length).ToArray();
        // "-" stands for "no value" in a numeric column.
        var numeric = columns.Select(c => _rows.Any(r => IsNumber(r[c])) && _rows.All(r => IsNumber(r[c]) || r[c] == "-")).ToArray();
        var widths = columns.Select(c => _rows.Select(r => r[c].Length).Append(headers[c].Length).Max()).ToArray();
        string Cell(string text, int c) => numeric[c] ? text.PadLeft(widths[c]) : text.PadRight(widths[c]);

        var text = new StringBuilder();
        void Line(IEnumerable<string> cells) =>
            text.AppendLine(markdown ? $"| {string.Join(" | ", cells)} |" : string.Join("  ", cells).TrimEnd());
        Line(columns.Select(c => Cell(headers[c], c)));
        if (markdown)
            Line(columns.Select(c => numeric[c] ? new string('-', widths[c] - 1) + ":" : new string('-', widths[c])));
        foreach (var row in _rows) Line(columns.Select(c => Cell(row[c], c)));
        return text.ToString();
    }

    private static bool IsNumber(string cell) =>
        cell.Length > 0 && cell.Any(char.IsDigit) && cell.All(ch => char.IsDigit(ch) || ch is '.' or ',' or '-' or '+' or '%' or 'x');
}
