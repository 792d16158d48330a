using System.Reflection;
using ClusterTrain.Shared.Sweeps;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ClusterTrain.Coordinator.Api;

/// <summary>
/// The live dashboard on the HTTP port: <c>/</c> is one self-contained page (no CDN) that fetches
/// <c>/api/sweeps</c> every 2 s and shows each sweep's counts, trials with their latest step, and its report's PNG
/// plots, served read-only from <c>/sweeps/ID/NAME.png</c>.
/// </summary>
public static class Dashboard
{
    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ClusterTrain.Dashboard.index.html")
            ?? throw new InvalidOperationException("the dashboard page is not embedded in the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static void Map(IEndpointRouteBuilder app, ApiServices services)
    {
        app.MapGet("/", () => Results.Content(Page.Value, "text/html; charset=utf-8"));
        app.MapGet("/api/sweeps", () => Results.Json(services.Feeds.All.Select(feed => new
        {
            sweepId = feed.SweepId,
            name = feed.Listing.Spec.Name,
            cancelled = feed.Listing.Cancelled,
            finished = feed.Listing.Counts.Finished,
            counts = feed.Listing.Counts,
            trials = feed.Trials.Select(t => new
            {
                trialId = t.TrialId,
                label = t.Label,
                state = t.State.ToString().ToLowerInvariant(),
                attempts = t.Attempts,
                node = t.Slot is { } slot ? $"{Host(slot.Node)} slot {slot.Index} ({slot.Device})" : null,
                step = t.Progress?.Step ?? t.Result?.Steps,
                totalSteps = t.Progress?.TotalSteps ?? t.Result?.TotalSteps,
                loss = t.Progress?.Loss ?? t.Result?.FinalTrainLoss,
                imagesPerSecond = t.Progress?.ImagesPerSecond ?? t.Result?.ImagesPerSecond,
                testError = t.Result?.TestError,
                reason = t.Reason,
            }),
            plots = services.Reports.Plots(feed.SweepId),
        })));
        app.MapGet("/sweeps/{sweepId}/{file}", (string sweepId, string file) =>
        {
            // Only a report's own PNGs, named plainly: no path of the client's choosing reaches the disk.
            if (services.Feeds.Find(sweepId) is null || Path.GetFileName(file) != file || !file.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                return Results.NotFound();
            var path = Path.Combine(services.Reports.Folder(sweepId), file);
            return File.Exists(path) ? Results.File(path, "image/png") : Results.NotFound();
        });
    }

    /// <summary>"host:port" of "akka.tcp://clustertrain@host:port".</summary>
    public static string Host(string node) => node[(node.IndexOf('@') + 1)..];
}
