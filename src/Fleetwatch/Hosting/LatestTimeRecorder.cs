using System.Collections.Concurrent;

namespace Fleetwatch.Hosting;

/// <summary>
/// Remembers the latest time something was used or seen (a key, a device) and writes the times to the
/// database together, every <see cref="FlushInterval"/> and at shutdown, so the hot path never writes for
/// them. Readers merge the times recorded here (<see cref="Latest"/>), so this node's answer is exact.
/// </summary>
public abstract partial class LatestTimeRecorder<TKey>(ILogger logger) : BackgroundService where TKey : notnull
{
    // Every time seen since start (what readers merge), and those not written yet (what the next flush writes).
    private readonly ConcurrentDictionary<TKey, long> _latest = new();
    private ConcurrentDictionary<TKey, long> _pending = new();

    protected virtual TimeSpan FlushInterval => TimeSpan.FromSeconds(30);

    /// <summary>Records a time; within the same second as the last one recorded it writes nothing.</summary>
    public void Record(TKey key, long micros)
    {
        if (_latest.TryGetValue(key, out var last) && micros - last < 1_000_000) return;
        _latest[key] = Math.Max(micros, last);
        _pending[key] = Math.Max(micros, last);
    }

    /// <summary>The later of the stored time and one recorded here.</summary>
    public long? Latest(TKey key, long? storedMicros) =>
        _latest.TryGetValue(key, out var recorded) && recorded > (storedMicros ?? long.MinValue) ? recorded : storedMicros;

    protected abstract Task WriteAsync(IReadOnlyCollection<KeyValuePair<TKey, long>> times, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval);
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
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<TKey, long>());
        try
        {
            await WriteAsync(batch, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // These times are informational: losing one flush must not stop the server.
            Log.FlushFailed(logger, e, GetType().Name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.LatestTimesFlushFailed, Level = LogLevel.Warning, Message = "{Recorder} could not write its times")]
        public static partial void FlushFailed(ILogger logger, Exception exception, string recorder);
    }
}
