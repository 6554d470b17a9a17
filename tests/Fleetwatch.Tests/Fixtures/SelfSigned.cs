using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleetwatch.Tests.Fixtures;

/// <summary>A throwaway self-signed certificate and its key, for TLS listeners and configuration checks.</summary>
public static class SelfSigned
{
    public static X509Certificate2 Create(string subject, out RSA key)
    {
        key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}
