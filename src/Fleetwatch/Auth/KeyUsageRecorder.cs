using System.Collections.Concurrent;

namespace Fleetwatch.Auth;

/// <summary>
/// Remembers when each key was last used and writes it to the database in one statement every
/// <see cref="FlushInterval"/>, so verifying a key on the ingest path never writes. Key listings merge the
/// times not yet written, so this node's answer is exact.
/// </summary>
public sealed partial class KeyUsageRecorder(IApiKeyStore store, TimeProvider time, ILogger<KeyUsageRecorder> logger) : BackgroundService
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(30);
    private ConcurrentDictionary<string, long> _pending = new(StringComparer.Ordinal);

    public void Touch(string prefix)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        // To the second is precise enough, and spares the ingest path a dictionary write per request.
        if (!_pending.TryGetValue(prefix, out var last) || now - last >= 1_000_000) _pending[prefix] = now;
    }

    /// <summary>The later of the stored time and a use not yet written.</summary>
    public long? LastUsed(string prefix, long? storedMicros) =>
        _pending.TryGetValue(prefix, out var pending) && pending > (storedMicros ?? long.MinValue) ? pending : storedMicros;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
        await FlushAsync(CancellationToken.None);
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        if (_pending.IsEmpty) return;
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
        try
        {
            await store.RecordKeyUseAsync(batch, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Last-used times are informational: losing one flush must not stop the server.
            Log.FlushFailed(logger, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Could not record when API keys were last used")]
        public static partial void FlushFailed(ILogger logger, Exception exception);
    }
}
