using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using ClusterTrain.Api.V1;
using ClusterTrain.Coordinator.Api;
using ClusterTrain.Coordinator.Cli.Remote;
using Grpc.Core;
using Grpc.Net.Client;

namespace ClusterTrain.Cli.Tests.Api;

/// <summary>
/// The API and dashboard over HTTPS: a second API server with a self-signed certificate made at test time, in front of
/// the shared test coordinator (<see cref="ApiCluster"/>), reached by the real CLI and by plain clients.
/// </summary>
[Collection(ApiClusterCollection.Name)]
[Trait("Category", "Process")]
public sealed class TlsTests(ApiCluster cluster)
{
    private Task<ApiServer> StartAsync(TestCertificates.Files files) => ApiServer.StartAsync(new ApiOptions
    {
        Port = 0, HttpPort = 0, Token = ApiCluster.Token, CertificateFile = files.CertificateFile, KeyFile = files.KeyFile,
    }, cluster.Coordinator.Coordinator, cluster.Folder.Path);

    private Task<ClusterTrainProcess.Outcome> CliAsync(params string[] args) => ClusterTrainProcess.RunAsync(cluster.Folder.Path,
        new Dictionary<string, string?>
        {
            [RemoteOptions.TokenVariable] = ApiCluster.Token,
            [RemoteOptions.TokenFileVariable] = null,
            [RemoteOptions.UrlVariable] = null,
            [RemoteOptions.CaFileVariable] = null,
        }, args);

    /// <summary>An HttpClient that trusts exactly <paramref name="certificateFile"/>, as the CLI's --ca-file does.</summary>
    private static HttpClient Trusting(string certificateFile)
    {
        var trusted = X509CertificateLoader.LoadCertificate(File.ReadAllBytes(certificateFile));
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == trusted.GetCertHashString() },
        });
    }

    [Fact]
    public async Task The_cli_reaches_an_https_coordinator_whose_certificate_is_its_ca_file()
    {
        var files = TestCertificates.Write(cluster.Folder, "trusted");
        await using var server = await StartAsync(files);

        var listed = await CliAsync("status", "--coordinator", server.GrpcUrl.ToString(), "--ca-file", files.CertificateFile);
        var fromVariable = await ClusterTrainProcess.RunAsync(cluster.Folder.Path, new Dictionary<string, string?>
        {
            [RemoteOptions.TokenVariable] = ApiCluster.Token, [RemoteOptions.TokenFileVariable] = null,
            [RemoteOptions.UrlVariable] = server.GrpcUrl.ToString(), [RemoteOptions.CaFileVariable] = files.CertificateFile,
        }, "status");

        Assert.Equal(("https", "https"), (server.GrpcUrl.Scheme, server.DashboardUrl.Scheme));
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        Assert.True(fromVariable.ExitCode == 0, fromVariable.Stderr);
    }

    [Fact]
    public async Task Without_the_ca_file_the_cli_exits_3_saying_the_certificate_was_not_trusted_and_naming_the_option()
    {
        var files = TestCertificates.Write(cluster.Folder, "untrusted");
        await using var server = await StartAsync(files);

        var refused = await CliAsync("status", "--coordinator", server.GrpcUrl.ToString());

        Assert.Equal(3, refused.ExitCode);
        Assert.Contains($"the certificate of the coordinator at {server.GrpcUrl} was not trusted", refused.Stderr);
        Assert.Contains("does not chain to a CA this system trusts", refused.Stderr);
        Assert.Contains("--ca-file", refused.Stderr);
    }

    [Fact]
    public async Task A_trusted_certificate_for_another_host_is_refused_with_exit_code_3()
    {
        var files = TestCertificates.Write(cluster.Folder, "elsewhere", dnsName: "elsewhere.example", ip: "10.1.2.3");
        await using var server = await StartAsync(files);

        var refused = await CliAsync("status", "--coordinator", server.GrpcUrl.ToString(), "--ca-file", files.CertificateFile);

        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("was not trusted: its certificate (CN=elsewhere.example) is not for 127.0.0.1", refused.Stderr);
        Assert.Contains("--ca-file", refused.Stderr);
    }

    [Theory]
    [InlineData("/nonexistent/ca.pem", "the CA file /nonexistent/ca.pem (--ca-file) does not exist")]
    [InlineData("token", "(--ca-file) holds no PEM certificate")]
    public async Task An_unusable_ca_file_is_bad_input(string caFile, string message)
    {
        var path = caFile.StartsWith('/') ? caFile : cluster.Folder.File(caFile, ApiCluster.Token);

        var outcome = await CliAsync("status", "--coordinator", "https://127.0.0.1:1", "--ca-file", path);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains(message, outcome.Stderr);
    }

    [Fact]
    public async Task Plain_http_clients_to_the_tls_ports_fail_and_the_cli_suggests_https()
    {
        var files = TestCertificates.Write(cluster.Folder, "plain");
        await using var server = await StartAsync(files);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.Port}");
        using var http = new HttpClient();

        var grpc = await Assert.ThrowsAsync<RpcException>(() => new SweepApi.SweepApiClient(channel)
            .ListSweepsAsync(new ListSweepsRequest(), new Metadata { { "authorization", $"Bearer {ApiCluster.Token}" } }).ResponseAsync);
        var dashboard = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.1:{server.HttpPort}/api/sweeps"));
        var cli = await CliAsync("status", "--coordinator", $"http://127.0.0.1:{server.Port}");

        // Unavailable when the server's close comes before the request is written, Internal when after: never a reply.
        Assert.Contains(grpc.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.Null(dashboard.StatusCode);
        Assert.Equal(3, cli.ExitCode);
        Assert.True(cli.Stderr.Contains($"(if the coordinator serves HTTPS, use https://127.0.0.1:{server.Port})"), cli.Stderr);
    }

    [Fact]
    public async Task The_dashboard_serves_https_and_still_requires_the_token()
    {
        var files = TestCertificates.Write(cluster.Folder, "dashboard");
        await using var server = await StartAsync(files);
        using var http = Trusting(files.CertificateFile);
        var sweeps = new Uri(server.DashboardUrl, "api/sweeps");

        var anonymous = await http.GetAsync(sweeps);
        using var request = new HttpRequestMessage(HttpMethod.Get, sweeps) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", ApiCluster.Token) } };
        var authorized = await http.SendAsync(request);

        Assert.Equal("https", server.DashboardUrl.Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }

    [Fact]
    public async Task The_coordinator_command_exits_2_naming_the_setting_and_the_file_of_a_missing_certificate()
    {
        var key = TestCertificates.Write(cluster.Folder, "keyonly").KeyFile;
        var missing = Path.Combine(cluster.Folder.Path, "missing.crt");

        var outcome = await ClusterTrainProcess.RunAsync(cluster.Folder.Path, new Dictionary<string, string?>
        {
            ["CLUSTERTRAIN_API__CERTIFICATEFILE"] = missing, ["CLUSTERTRAIN_API__KEYFILE"] = key,
        }, "coordinator", "--port", "0", "--api-port", "0", "--http-port", "0", "--out", cluster.Folder.Folder("refused"));

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"ClusterTrain:Api:CertificateFile: {missing} does not exist.", outcome.Stderr);
    }
}
