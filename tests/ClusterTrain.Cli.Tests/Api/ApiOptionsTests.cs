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

    [Fact]
    public void Tls_files_come_from_CLUSTERTRAIN_API_variables_and_a_matching_pair_has_no_problem()
    {
        using var folder = new TempFolder();
        var files = TestCertificates.Write(folder, "api");
        var configuration = ClusterTrainConfiguration.Load(settingsFile: null, new Dictionary<string, string>
        {
            ["CLUSTERTRAIN_API__CERTIFICATEFILE"] = files.CertificateFile,
            ["CLUSTERTRAIN_API__KEYFILE"] = files.KeyFile,
        });

        var api = ClusterTrainConfiguration.Api(configuration);

        Assert.Equal((files.CertificateFile, files.KeyFile, true), (api.CertificateFile, api.KeyFile, api.Tls));
        Assert.Empty(api.Check());
    }

    [Fact]
    public void One_tls_file_without_the_other_is_reported_naming_both()
    {
        using var folder = new TempFolder();
        var files = TestCertificates.Write(folder, "api");

        var keyMissing = new ApiOptions { CertificateFile = files.CertificateFile }.Check().Single().ToString();
        var certificateMissing = new ApiOptions { KeyFile = files.KeyFile }.Check().Single().ToString();

        Assert.Equal($"ClusterTrain:Api:KeyFile: is not set, but CertificateFile is ({files.CertificateFile}); HTTPS needs both (CLUSTERTRAIN_API__KEYFILE).", keyMissing);
        Assert.Equal($"ClusterTrain:Api:CertificateFile: is not set, but KeyFile is ({files.KeyFile}); HTTPS needs both (CLUSTERTRAIN_API__CERTIFICATEFILE).", certificateMissing);
    }

    [Fact]
    public void Missing_tls_files_and_folders_are_reported_with_their_key_and_path()
    {
        using var folder = new TempFolder();
        var files = TestCertificates.Write(folder, "api");
        var missing = Path.Combine(folder.Path, "missing.pem");
        var aFolder = folder.Folder("certs");

        var problems = new[]
        {
            new ApiOptions { CertificateFile = missing, KeyFile = files.KeyFile },
            new ApiOptions { CertificateFile = files.CertificateFile, KeyFile = missing },
            new ApiOptions { CertificateFile = aFolder, KeyFile = files.KeyFile },
        }.Select(o => o.Check().Single().ToString());

        Assert.Equal([
            $"ClusterTrain:Api:CertificateFile: {missing} does not exist.",
            $"ClusterTrain:Api:KeyFile: {missing} does not exist.",
            $"ClusterTrain:Api:CertificateFile: {aFolder} is a folder, not a PEM file.",
        ], problems);
    }

    [Fact]
    public void Tls_files_without_a_pem_certificate_or_key_are_reported_with_their_key_and_path()
    {
        using var folder = new TempFolder();
        var files = TestCertificates.Write(folder, "api");
        var other = TestCertificates.Write(folder, "other");
        var text = folder.File("text.pem", "not a certificate\n");
        var encrypted = folder.File("encrypted.key",
            System.Security.Cryptography.ECDsa.Create().ExportEncryptedPkcs8PrivateKeyPem("secret", new System.Security.Cryptography.PbeParameters(
                System.Security.Cryptography.PbeEncryptionAlgorithm.Aes128Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 1000)));

        var problems = new[]
        {
            new ApiOptions { CertificateFile = text, KeyFile = files.KeyFile },
            new ApiOptions { CertificateFile = files.KeyFile, KeyFile = files.KeyFile },
            new ApiOptions { CertificateFile = files.CertificateFile, KeyFile = files.CertificateFile },
            new ApiOptions { CertificateFile = files.CertificateFile, KeyFile = encrypted },
            new ApiOptions { CertificateFile = files.CertificateFile, KeyFile = other.KeyFile },
        }.Select(o => o.Check().Single().ToString()).ToList();

        Assert.Equal($"ClusterTrain:Api:CertificateFile: {text} holds no PEM certificate (-----BEGIN CERTIFICATE-----).", problems[0]);
        Assert.Equal($"ClusterTrain:Api:CertificateFile: {files.KeyFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----).", problems[1]);
        Assert.Equal($"ClusterTrain:Api:KeyFile: {files.CertificateFile} holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY).", problems[2]);
        Assert.Equal($"ClusterTrain:Api:KeyFile: {encrypted} holds an encrypted private key; the coordinator reads unencrypted PEM keys only.", problems[3]);
        Assert.Equal($"ClusterTrain:Api:KeyFile: {other.KeyFile} is not the private key of the certificate in {files.CertificateFile} (CertificateFile).", problems[4]);
    }
}
