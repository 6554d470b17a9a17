using System.Collections.Concurrent;
using Fleetwatch.Model;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Auth;

/// <summary>
/// Verifies <c>X-API-Key</c> values. Stored keys are looked up by prefix and cached for a few seconds, so
/// ingest pays no database round trip per request; the secret is always re-hashed and compared in constant
/// time, cached or not. The literal <c>API_KEY</c> from the environment is a server administrator key.
/// </summary>
public sealed class ApiKeyAuthenticator
{
    // Unknown prefixes are cached too (so a flood of bad keys cannot hammer the database); the bound keeps
    // that cache from growing without limit.
    private const int MaxCachedPrefixes = 100_000;

    private readonly IApiKeyStore _store;
    private readonly TimeProvider _time;
    private readonly long _ttlTicks;
    private readonly byte[]? _literalAdminKeyHash;
    private readonly ConcurrentDictionary<string, CachedKey> _cache = new(StringComparer.Ordinal);

    private readonly KeyUsageRecorder _usage;
    private readonly byte[][] _literalIngestKeyHashes;

    public ApiKeyAuthenticator(IApiKeyStore store, KeyUsageRecorder usage, ChangeBus changes, IConfiguration configuration,
        IOptions<AuthOptions> options, TimeProvider time)
    {
        _store = store;
        _usage = usage;
        // A revocation on any node drops the cached key everywhere at once, not after the cache time.
        changes.Subscribe(ChangeBus.KeyTopic, (prefix, ct) =>
        {
            _cache.TryRemove(prefix, out _);
            return Task.CompletedTask;
        });
        _time = time;
        _ttlTicks = TimeSpan.FromSeconds(options.Value.CacheSeconds).Ticks;
        // The telemetry backend's DEVICE_API_KEYS: shared ingest keys of the default project.
        _literalIngestKeyHashes = [.. (configuration["DEVICE_API_KEYS"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(key =>
            {
                var hash = new byte[32];
                ApiKeys.HashUtf8(key, hash);
                return hash;
            })];
        var literal = configuration["API_KEY"];
        if (!string.IsNullOrEmpty(literal))
        {
            _literalAdminKeyHash = new byte[32];
            ApiKeys.HashUtf8(literal, _literalAdminKeyHash);
        }
    }

    public async ValueTask<(Caller? Caller, AuthFailure Failure)> AuthenticateAsync(string? presented, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(presented)) return (null, AuthFailure.Missing);
        if (_literalAdminKeyHash is not null && ApiKeys.Matches(presented, _literalAdminKeyHash))
            return (new Caller(null, KeyRole.Admin, "API_KEY"), AuthFailure.None);
        foreach (var hash in _literalIngestKeyHashes)
        {
            if (ApiKeys.Matches(presented, hash)) return (new Caller(null, KeyRole.Ingest, "DEVICE_API_KEYS"), AuthFailure.None);
        }
        var dot = presented.IndexOf('.');
        if (dot != ApiKeys.PrefixLength) return (null, AuthFailure.Malformed);

        var record = await FindAsync(presented[..dot], ct);
        if (record is null || record.RevokedMicros is not null || !ApiKeys.Matches(presented.AsSpan(dot + 1), record.SecretHash))
            return (null, AuthFailure.Invalid);
        _usage.Touch(record.Prefix);
        return (new Caller(record.ProjectId, record.Role, record.Prefix, record.DeviceId), AuthFailure.None);
    }

    private async ValueTask<ApiKeyRecord?> FindAsync(string prefix, CancellationToken ct)
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (_cache.TryGetValue(prefix, out var cached) && cached.ExpiresAtTicks > now) return cached.Record;
        var record = await _store.FindKeyAsync(prefix, ct);
        if (_cache.Count >= MaxCachedPrefixes) _cache.Clear();
        _cache[prefix] = new CachedKey(record, now + _ttlTicks);
        return record;
    }

    private sealed record CachedKey(ApiKeyRecord? Record, long ExpiresAtTicks);
}
