using System.ComponentModel;
using Fleetwatch.Model;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Telemetry;

public sealed class RollupOptions
{
    [Description("How often the hours that sealed since the last look are rolled up.")]
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
    // At most a month of one device per span, as for a query's first build, and per transaction at most a thousand
    // device-hours (one sealed hour of a thousand devices, or a month of one device).
    private const long MaxSpan = 31 * 24 * HourlyRollup.HourMicros;
    private const int MaxSpansPerTransaction = 1000, MaxHoursPerTransaction = 1000;

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
                if (!e.Kind.IsReading()) continue; // bare heartbeats and transitions are not in the rollups
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
        // Runs of consecutive hours of one device, each rolled up in one pass over its rows …
        var spans = new List<(RollupSpan Span, int Hours)>();
        for (var i = 0; i < due.Count;)
        {
            var (device, from) = due[i];
            var end = i + 1;
            while (end < due.Count && due[end].Device == device && due[end].Hour == due[end - 1].Hour + HourlyRollup.HourMicros
                   && due[end].Hour - from < MaxSpan) end++;
            spans.Add((new RollupSpan(device, from, due[end - 1].Hour), end - i));
            i = end;
        }
        // … and many devices' runs per transaction: when an hour seals, a whole fleet's hours are due at once.
        for (var i = 0; i < spans.Count;)
        {
            var end = i + 1;
            var hours = spans[i].Hours;
            while (end < spans.Count && end - i < MaxSpansPerTransaction && hours + spans[end].Hours <= MaxHoursPerTransaction) hours += spans[end++].Hours;
            var chunk = spans.GetRange(i, end - i);
            IReadOnlyList<RollupSpan> raced;
            try
            {
                raced = await rollups.MaterializeAsync([.. chunk.Select(c => c.Span)], ct);
            }
            catch
            {
                // Not rolled up: they stay due, with everything after them, for the next pass.
                lock (_gate)
                {
                    foreach (var (span, _) in spans.Skip(i)) _pending.UnionWith(Pairs(span));
                    _inFlight = 0;
                }
                throw;
            }
            lock (_gate)
            {
                _inFlight -= hours;
                // A late write to the device (into any hour of it) raced the read: these are rolled up on the next pass.
                foreach (var span in raced) _pending.UnionWith(Pairs(span));
            }
            Interlocked.Add(ref _built, hours - raced.Sum(s => (s.ToHour - s.FromHour) / HourlyRollup.HourMicros + 1));
            i = end;
        }
    }

    private static IEnumerable<(long Device, long Hour)> Pairs(RollupSpan span)
    {
        for (var hour = span.FromHour; hour <= span.ToHour; hour += HourlyRollup.HourMicros) yield return (span.DeviceId, hour);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RollupFailed, Level = LogLevel.Warning, Message = "Rolling up sealed hours failed; they are retried on the next pass")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
