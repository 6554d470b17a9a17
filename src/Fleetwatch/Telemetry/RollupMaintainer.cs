using Fleetwatch.Ingest;
using Fleetwatch.Storage;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Telemetry;

public sealed class RollupOptions
{
    /// <summary>How often the hours that sealed since the last look are rolled up.</summary>
    public int IntervalMs { get; set; } = 30_000;
}

/// <summary>
/// Rolls up hours as they seal, so a long-range aggregate never waits for a first build: every (device, hour)
/// this node writes readings into is remembered, and once the hour is sealed it is rolled up in the background.
/// A late write into a sealed hour drops that hour's rollup in its own transaction (see <see cref="HourlyRollup"/>)
/// and is remembered again, so the hour is rebuilt on the next pass. Each node rolls up what it wrote itself;
/// hours written before a restart, or by a node that went away, are built by the first query that needs them.
/// </summary>
public sealed partial class RollupMaintainer(IRollupStore rollups, IOptions<RollupOptions> options, ILogger<RollupMaintainer> logger)
    : BackgroundService, ILocalCommitObserver
{
    // At most this much per transaction, as for a query's first build.
    private const long MaxSpan = 31 * 24 * HourlyRollup.HourMicros;

    private readonly object _gate = new();
    private readonly HashSet<(long Device, long Hour)> _pending = [];
    private long _built;
    // Taken out of _pending by the pass under way and not rolled up yet: still part of the backlog.
    private int _inFlight;

    /// <summary>The backlog: (device, hour) pairs written into hours now sealed and not rolled up yet (open hours wait here too, but are not due).</summary>
    public int PendingHours
    {
        get
        {
            var sealedBefore = HourlyRollup.SealedBefore(Clock.NowMicros());
            lock (_gate) return _pending.Count(p => p.Hour < sealedBefore) + _inFlight;
        }
    }

    /// <summary>Hours rolled up in the background since start.</summary>
    public long HoursBuilt => Interlocked.Read(ref _built);

    public void OnCommitted(CommittedBatch batch)
    {
        lock (_gate)
        {
            (long Device, long Hour) previous = (0, long.MinValue);
            foreach (var e in batch.Events)
            {
                if (e.Kind == EventKind.Heartbeat) continue; // bare heartbeats are not in the rollups
                var pair = (e.DeviceId, HourlyRollup.HourOf(e.TsMicros));
                if (pair == previous) continue; // a batch is mostly runs of one device's readings in one hour
                previous = pair;
                _pending.Add(pair);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.IntervalMs));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RollUpSealedAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Failed(logger, e);
            }
        }
    }

    private async Task RollUpSealedAsync(CancellationToken ct)
    {
        var sealedBefore = HourlyRollup.SealedBefore(Clock.NowMicros());
        List<(long Device, long Hour)> due;
        lock (_gate)
        {
            due = [.. _pending.Where(p => p.Hour < sealedBefore)];
            foreach (var pair in due) _pending.Remove(pair);
            _inFlight = due.Count;
        }
        try
        {
            await RollUpAsync(due, ct);
        }
        finally
        {
            lock (_gate) _inFlight = 0;
        }
    }

    private async Task RollUpAsync(List<(long Device, long Hour)> due, CancellationToken ct)
    {
        due.Sort();
        // Runs of consecutive hours of one device, each rolled up in one pass over its rows.
        for (var i = 0; i < due.Count;)
        {
            var (device, from) = due[i];
            var end = i + 1;
            while (end < due.Count && due[end].Device == device && due[end].Hour == due[end - 1].Hour + HourlyRollup.HourMicros
                   && due[end].Hour - from < MaxSpan) end++;
            bool stored;
            try
            {
                stored = await rollups.MaterializeAsync(device, from, due[end - 1].Hour, ct);
            }
            catch
            {
                // Not built: they stay due, with everything after them, for the next pass.
                lock (_gate)
                {
                    _pending.UnionWith(due.Skip(i));
                    _inFlight = 0;
                }
                throw;
            }
            lock (_gate)
            {
                _inFlight -= end - i;
                // A late write to the device (into any hour of it) raced the read: these are rolled up on the next pass.
                if (!stored) _pending.UnionWith(due.Skip(i).Take(end - i));
            }
            if (stored) Interlocked.Add(ref _built, end - i);
            i = end;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Rolling up sealed hours failed; they are retried on the next pass")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
