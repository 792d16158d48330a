using System.Globalization;
using System.Net;
using System.Text;

namespace ClusterTrain.Coordinator.Reports;

/// <summary>
/// index.html of a report: the plots (relative links to the PNGs beside it), the comparison and trials tables, and the
/// other files. Static and self-contained (inline style, no script, nothing fetched), so it opens from disk anywhere.
/// </summary>
public static class ReportPage
{
    public const string FileName = "index.html";

    /// <summary>A table: header cells, then rows of cells, as text.</summary>
    public sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows);

    public static string Render(string title, string summaryLine, Table comparison, Table trials,
        IReadOnlyList<ReportPlotFile> plots, IReadOnlyList<(string File, string What)> files, string? tensorBoardFolder)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>{{E(title)}}</title>
            <style>
            body { font-family: sans-serif; margin: 2em auto; max-width: 1650px; padding: 0 1em; color: #222; }
            h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
            table { border-collapse: collapse; font-size: 0.9em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
            th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
            figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
            figcaption { color: #555; max-width: 70em; } code { background: #f3f3f3; padding: 0 0.2em; }
            </style>
            </head>
            <body>
            <h1>{{E(title)}}</h1>
            <p>{{E(summaryLine)}}</p>

            """);
        html.Append("<h2>Comparison</h2>\n");
        AppendTable(html, comparison, "comparison");
        html.Append("<h2>Plots</h2>\n");
        foreach (var plot in plots)
            html.Append($"""
                <figure id="{E(Path.GetFileNameWithoutExtension(plot.FileName))}">
                <img src="{E(plot.FileName)}" width="{plot.Width}" height="{plot.Height}" alt="{E(plot.Title)}">
                <figcaption><b>{E(plot.Title)}.</b> {E(plot.Caption)}</figcaption>
                </figure>

                """);
        html.Append("<h2>Trials</h2>\n");
        AppendTable(html, trials, "trials");
        html.Append("<h2>Files</h2>\n<ul>\n");
        foreach (var (file, what) in files)
            html.Append($"<li><a href=\"{E(file)}\">{E(file)}</a>: {E(what)}</li>\n");
        if (tensorBoardFolder is not null)
            html.Append($"<li><code>{E(tensorBoardFolder)}/</code>: TensorBoard event files, one run per trial; "
                + $"view them with <code>tensorboard --logdir {E(tensorBoardFolder)}</code> in this folder.</li>\n");
        html.Append("</ul>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendTable(StringBuilder html, Table table, string id)
    {
        html.Append($"<table id=\"{id}\">\n<thead><tr>");
        foreach (var cell in table.Header) html.Append($"<th>{E(cell)}</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Rows)
        {
            html.Append("<tr>");
            foreach (var cell in row) html.Append(IsNumber(cell) ? $"<td class=\"n\">{E(cell)}</td>" : $"<td>{E(cell)}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    private static bool IsNumber(string cell) =>
        double.TryParse(cell.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
