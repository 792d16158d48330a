using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClusterTrain.Cli.Tests.Api;

/// <summary>Self-signed certificates made at test time, written as the PEM files the coordinator and the CLI read.</summary>
internal static class TestCertificates
{
    public sealed record Files(string CertificateFile, string KeyFile);

    /// <summary>
    /// A self-signed server certificate for <paramref name="dnsName"/> and <paramref name="ip"/> (default: localhost and
    /// 127.0.0.1), valid from an hour ago for a day, written to NAME.crt and NAME.key in <paramref name="folder"/>.
    /// </summary>
    public static Files Write(TempFolder folder, string name, string dnsName = "localhost", string ip = "127.0.0.1")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        names.AddIpAddress(IPAddress.Parse(ip));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        return new Files(folder.File($"{name}.crt", certificate.ExportCertificatePem()), folder.File($"{name}.key", key.ExportPkcs8PrivateKeyPem()));
    }
}
