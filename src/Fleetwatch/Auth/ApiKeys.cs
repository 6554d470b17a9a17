using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Fleetwatch.Auth;

/// <summary>
/// Keys look like <c>&lt;8 lowercase hex&gt;.&lt;secret&gt;</c>: the prefix finds the stored row, the secret (32 random
/// bytes, base64url) is checked against its SHA-256. A fast hash is right here: the secret has 256 bits of
/// entropy, so there is nothing for a slow hash to protect, and ingest verifies a key per request.
/// </summary>
public static class ApiKeys
{
    public const int PrefixLength = 8;

    public static NewApiKey Generate(long? projectId, KeyRole role, string? name, long? deviceId = null)
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(PrefixLength / 2));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return new NewApiKey($"{prefix}.{secret}", prefix, SHA256.HashData(Encoding.UTF8.GetBytes(secret)), projectId, role, name, deviceId);
    }

    /// <summary>Compares the SHA-256 of <paramref name="secret"/> with a stored hash in constant time, allocating nothing for usual key sizes.</summary>
    public static bool Matches(ReadOnlySpan<char> secret, ReadOnlySpan<byte> expectedHash)
    {
        Span<byte> hash = stackalloc byte[32];
        HashUtf8(secret, hash);
        return CryptographicOperations.FixedTimeEquals(hash, expectedHash);
    }

    public static void HashUtf8(ReadOnlySpan<char> text, Span<byte> hash)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = max <= 512 ? null : new byte[max];
        Span<byte> bytes = rented ?? stackalloc byte[512];
        var count = Encoding.UTF8.GetBytes(text, bytes);
        SHA256.HashData(bytes[..count], hash);
    }

    public static string RoleName(KeyRole role) => role.ToString().ToLowerInvariant();

    public static bool TryParseRole(string? text, out KeyRole role) =>
        Enum.TryParse(text, ignoreCase: true, out role) && Enum.IsDefined(role) && !int.TryParse(text, out _);
}
