namespace Fleetwatch.Auth;

public enum KeyRole
{
    Read = 0,
    Ingest = 1,
    Admin = 2,
}

/// <summary>A stored key: never the secret, only its SHA-256. A null project makes it a server administrator key.</summary>
public sealed record ApiKeyRecord(
    long Id, string Prefix, byte[] SecretHash, long? ProjectId, KeyRole Role, string? Name,
    long CreatedMicros, long? LastUsedMicros, long? RevokedMicros, long? DeviceId = null);

/// <summary>A key as generated: the plaintext is shown once and never stored.</summary>
/// <param name="DeviceId">Set for a device's own key (telemetry backend): it may write that device's data only.</param>
public sealed record NewApiKey(string Plaintext, string Prefix, byte[] SecretHash, long? ProjectId, KeyRole Role, string? Name, long? DeviceId = null);

public interface IApiKeyStore
{
    Task<ApiKeyRecord?> FindKeyAsync(string prefix, CancellationToken ct);
    Task<ApiKeyRecord> InsertKeyAsync(NewApiKey key, CancellationToken ct);
    /// <summary>Every key, or only a project's keys.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(long? projectId, CancellationToken ct);
    Task<bool> RevokeKeyAsync(string prefix, CancellationToken ct);
    /// <summary>Moves each key's <c>last_used_at</c> forward (never back) to the given time.</summary>
    Task RecordKeyUseAsync(IReadOnlyCollection<KeyValuePair<string, long>> lastUsedByPrefix, CancellationToken ct);
}
