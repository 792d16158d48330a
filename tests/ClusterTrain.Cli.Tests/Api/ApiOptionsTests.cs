using ClusterTrain.Coordinator.Api;
using ClusterTrain.Coordinator.Cluster;

namespace ClusterTrain.Cli.Tests.Api;

public sealed class ApiOptionsTests
{
    [Fact]
    public void Api_settings_come_from_CLUSTERTRAIN_API_variables_and_client_variables_leave_the_coordinator_section_alone()
    {
        var environment = new Dictionary<string, string>
        {
            ["CLUSTERTRAIN_API__HOSTNAME"] = "0.0.0.0",
            ["CLUSTERTRAIN_API__PORT"] = "6080",
            ["CLUSTERTRAIN_API__HTTPPORT"] = "6081",
            ["CLUSTERTRAIN_API__TOKEN"] = "abc",
            ["CLUSTERTRAIN_API__MAXSPECBYTES"] = "2048",
            ["CLUSTERTRAIN_API__PROGRESSINTERVAL"] = "00:00:05",
            ["CLUSTERTRAIN_COORDINATOR__MAXTRIALSPERSWEEP"] = "7",
            ["CLUSTERTRAIN_COORDINATOR_URL"] = "http://elsewhere:5080",
            ["CLUSTERTRAIN_TOKEN"] = "client-side",
        };

        var configuration = ClusterTrainConfiguration.Load(settingsFile: null, environment);
        var api = ClusterTrainConfiguration.Api(configuration);
        var coordinator = ClusterTrainConfiguration.Coordinator(configuration);

        Assert.Equal(("0.0.0.0", 6080, 6081, "abc", 2048), (api.Hostname, api.Port, api.HttpPort, api.ResolveToken(), api.MaxSpecBytes));
        Assert.Equal(TimeSpan.FromSeconds(5), api.ProgressInterval);
        Assert.Equal(7, coordinator.MaxTrialsPerSweep);
        Assert.Empty(api.Check());
    }

    [Fact]
    public void Without_settings_the_api_listens_on_loopback_ports_5080_and_5081_without_a_token()
    {
        var api = ClusterTrainConfiguration.Api(ClusterTrainConfiguration.Load(settingsFile: null, new Dictionary<string, string>()));

        Assert.Equal((true, "127.0.0.1", 5080, 5081, null, 1 << 20), (api.Enabled, api.Hostname, api.Port, api.HttpPort, api.ResolveToken(), api.MaxSpecBytes));
        Assert.Empty(api.Check());
    }

    [Fact]
    public void A_token_file_wins_over_the_token_and_its_whitespace_is_ignored()
    {
        using var folder = new TempFolder();
        var api = new ApiOptions { Token = "from-variable", TokenFile = folder.File("token", "  from-file\n") };

        Assert.Equal("from-file", api.ResolveToken());
    }

    [Theory]
    [InlineData("Port", "70000", "ClusterTrain:Api:Port: 70000 is not a TCP port (0 to 65535).")]
    [InlineData("HttpPort", "-1", "ClusterTrain:Api:HttpPort: -1 is not a TCP port (0 to 65535).")]
    [InlineData("HttpPort", "5080", "ClusterTrain:Api:HttpPort: 5080 is also the gRPC port; the dashboard needs its own (HTTP/1.1).")]
    [InlineData("Hostname", " ", "ClusterTrain:Api:Hostname: is empty.")]
    [InlineData("MaxSpecBytes", "0", "ClusterTrain:Api:MaxSpecBytes: 0 is not a positive number of bytes.")]
    [InlineData("FeedInterval", "00:00:00", "ClusterTrain:Api:FeedInterval: 00:00:00 is not a positive time.")]
    [InlineData("ProgressInterval", "-00:00:01", "ClusterTrain:Api:ProgressInterval: -00:00:01 is negative.")]
    public void Each_unusable_setting_is_reported_with_its_key(string key, string value, string problem)
    {
        var configuration = ClusterTrainConfiguration.Load(settingsFile: null, new Dictionary<string, string> { [$"CLUSTERTRAIN_API__{key.ToUpperInvariant()}"] = value });

        var problems = ClusterTrainConfiguration.Api(configuration).Check();

        Assert.Equal([problem], problems.Select(p => p.ToString()));
    }

    [Fact]
    public void A_missing_or_empty_token_file_is_reported_with_its_path()
    {
        using var folder = new TempFolder();
        var missing = Path.Combine(folder.Path, "missing");
        var empty = folder.File("empty", "\n");

        var problems = new[] { missing, empty }.Select(f => new ApiOptions { TokenFile = f }.Check().Single().ToString());

        Assert.Equal([$"ClusterTrain:Api:TokenFile: {missing} does not exist.", $"ClusterTrain:Api:TokenFile: {empty} is empty."], problems);
    }
}
