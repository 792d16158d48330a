using ClusterTrain.Api.V1;

namespace ClusterTrain.Cli.Tests.Api;

/// <summary>The coordinator's live dashboard in headless Chromium, against a real coordinator and node.</summary>
[Collection(ApiClusterCollection.Name)]
[Trait("Category", "Browser")]
public sealed class DashboardTests(ApiCluster cluster)
{
    private static string Trials(string sweepId, string state) =>
        $"document.querySelectorAll('section[data-sweep=\"{sweepId}\"] tr[data-state=\"{state}\"]').length";

    [SkippableFact]
    public async Task The_dashboard_shows_a_running_sweep_and_updates_when_a_trial_finishes()
    {
        Skip.IfNot(File.Exists(HeadlessChromium.Executable),
            $"{HeadlessChromium.Executable} is missing: install the Debian packages chromium and chromium-driver (build/prerequisites.sh does as root)");
        var (client, headers) = cluster.Client();
        // One slot for two trials: the second waits while the first runs, and the first ends while the page is open.
        var sweep = await client.SubmitSweepAsync(new SubmitSweepRequest { SpecYaml = ApiCluster.TinySweep("dashboard", maxSteps: 40), SourceName = "dashboard.yaml" }, headers);
        await using var browser = await HeadlessChromium.StartAsync(ApiCluster.Patience);

        await browser.NavigateAsync($"{cluster.Server.DashboardUrl}?token={ApiCluster.Token}");

        await browser.WaitUntilAsync($"location.search === '' && {Trials(sweep.SweepId, "running")} === 1 && {Trials(sweep.SweepId, "completed")} === 0",
            ApiCluster.Patience, "the sweep with one trial running and none completed");
        var heading = (string)(await browser.EvaluateAsync($"document.querySelector('section[data-sweep=\"{sweep.SweepId}\"] h2').innerText"))!;
        Assert.Equal($"dashboard ({sweep.SweepId}) running", heading);
        await browser.WaitUntilAsync($"{Trials(sweep.SweepId, "completed")} >= 1", ApiCluster.Patience, "a completed trial");
        await browser.WaitUntilAsync($"document.querySelector('section[data-sweep=\"{sweep.SweepId}\"]').dataset.finished === 'true'",
            ApiCluster.Patience, "the sweep finished");
        Assert.Equal(2.0, (double)(await browser.EvaluateAsync(Trials(sweep.SweepId, "completed")))!);
    }
}
