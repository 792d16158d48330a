using static ClusterTrain.Cli.Tests.ClusterTrainProcess;

namespace ClusterTrain.Cli.Tests;

/// <summary>Settings and folders that cannot be used stop a command before it starts, with exit code 2 and a line naming them.</summary>
[Trait("Category", "Process")]
public class BadSettingsTests
{
    private const string TinySweep = """
        name: tiny
        data: { kind: synthetic }
        fixed: { model.family: cifar-resnet, model.depth: 8 }
        grid: { model.shortcuts: [false, true] }
        """;

    [Theory]
    [InlineData("node", "CLUSTERTRAIN_NODE__THREADS", "many", "'many' does not read")]
    [InlineData("node", "CLUSTERTRAIN_CLUSTER__PORT", "abc", "'abc' does not read")]
    [InlineData("coordinator", "CLUSTERTRAIN_CLUSTER__PORT", "abc", "'abc' does not read")]
    [InlineData("coordinator", "CLUSTERTRAIN_API__PORT", "abc", "'abc' does not read")]
    public async Task A_member_with_a_setting_that_does_not_convert_exits_2_naming_its_variable(string command, string variable, string value, string complaint)
    {
        var folder = TempFolder();
        string[] args = command == "node"
            ? ["node", "--seed-nodes", "akka.tcp://clustertrain@127.0.0.1:1"]
            : ["coordinator", "--out", "out"];

        var outcome = await RunAsync(folder, new Dictionary<string, string?> { [variable] = value }, args);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains(variable, outcome.Stderr);
        Assert.Contains(complaint, outcome.Stderr);
        Assert.DoesNotContain("Unhandled exception", outcome.Stderr);
    }

    [Theory]
    [InlineData("run", "tiny.yaml")]
    [InlineData("coordinator")]
    [InlineData("train")]
    public async Task An_output_folder_that_cannot_be_made_exits_2_naming_it(params string[] command)
    {
        var folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, "tiny.yaml"), TinySweep);
        File.WriteAllText(Path.Combine(folder, "a-file"), "not a folder");
        var unusable = Path.Combine(folder, "a-file", "out");

        var outcome = await RunAsync(folder, [.. command, "--out", unusable]);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"error: cannot use {unusable} as the output folder", outcome.Stderr);
        Assert.DoesNotContain("Unhandled exception", outcome.Stderr);
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("node")]
    public async Task A_member_whose_port_is_taken_exits_2_naming_the_port(string command)
    {
        var folder = TempFolder();
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] args = command == "node"
            ? ["node", "--port", port, "--seed-nodes", "akka.tcp://clustertrain@127.0.0.1:1"]
            : ["coordinator", "--port", port, "--out", "out"];

        var outcome = await RunAsync(folder, new Dictionary<string, string?> { ["CLUSTERTRAIN_API__ENABLED"] = "false" }, args);
        taken.Stop();

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"ClusterTrain:Cluster:Port (CLUSTERTRAIN_CLUSTER__PORT): 127.0.0.1:{port} is in use", outcome.Stderr);
    }
}
