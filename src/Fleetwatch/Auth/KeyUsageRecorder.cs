using Fleetwatch.Hosting;

namespace Fleetwatch.Auth;

/// <summary>When each key was last used: recorded on every verification, written to <c>api_keys.last_used_at</c> in batches.</summary>
public sealed class KeyUsageRecorder(IApiKeyStore store, TimeProvider time, ILogger<KeyUsageRecorder> logger) : LatestTimeRecorder<string>(logger)
{
    public void Touch(string prefix) => Record(prefix, time.GetUtcNow().ToUnixTimeMilliseconds() * 1000);

    protected override Task WriteAsync(IReadOnlyCollection<KeyValuePair<string, long>> times, CancellationToken ct) => store.RecordKeyUseAsync(times, ct);
}
