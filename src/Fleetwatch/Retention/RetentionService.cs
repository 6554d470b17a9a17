using Fleetwatch.Connectivity;
using Fleetwatch.Devices;
using Fleetwatch.Model;
using Fleetwatch.Status;
using Fleetwatch.Telemetry;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Fleetwatch.Retention;

/// <summary>
/// Deletes what each project's retention says has expired — raw events older than its raw days, hourly rollups older
/// than its rollup days — device by device, in statements of <see cref="RetentionOptions.BatchRows"/> events, so the
/// writer never waits for more than one of them; and watches the database's size against a cap. On PostgreSQL one
/// node does it (the leader, as for connectivity).
/// </summary>
public sealed partial class RetentionService : BackgroundService
{
    private const long DayMicros = 24 * HourlyRollup.HourMicros;
    private const int PauseFactor = 9;
    private static readonly TimeSpan IngestRecently = TimeSpan.FromMilliseconds(200);
    private static readonly EventKind[] Kinds = Enum.GetValues<EventKind>();
    private readonly IRetentionStore _store;
    private readonly Ingest.IngestWriter _writer;
    private readonly IEventPartitions _partitions;
    private readonly DeviceRegistry _devices;
    private readonly StatusCounts _statusCounts;
    private readonly ILeadership _leadership;
    private readonly RetentionOptions _options;
    private readonly ILogger<RetentionService> _logger;
    private readonly Counter _purgedEvents;
    private readonly Counter _purgedHours;
    private readonly Counter _droppedPartitions;
    private readonly Gauge _databaseBytes;
    private readonly Gauge _overCap;
    private long _purged;

    public RetentionService(IRetentionStore store, IEventPartitions partitions, Ingest.IngestWriter writer, DeviceRegistry devices, StatusCounts statusCounts, ILeadership leadership, IOptions<RetentionOptions> options,
        Metrics.FleetMetrics metrics, ILogger<RetentionService> logger)
    {
        _store = store;
        _writer = writer;
        _partitions = partitions;
        _devices = devices;
        _statusCounts = statusCounts;
        _leadership = leadership;
        _options = options.Value;
        _logger = logger;
        var factory = Prometheus.Metrics.WithCustomRegistry(metrics.Registry);
        _purgedEvents = factory.CreateCounter("fleetwatch_retention_purged_events_total", "Raw events deleted because their project's retention expired them.");
        _purgedHours = factory.CreateCounter("fleetwatch_retention_purged_rollups_total", "Hourly rollups (one per device and hour) deleted because their project's retention expired them.");
        _droppedPartitions = factory.CreateCounter("fleetwatch_retention_dropped_partitions_total", "Day partitions of the events table dropped whole (PostgreSQL): every project's retention had expired them.");
        _databaseBytes = factory.CreateGauge("fleetwatch_database_bytes", "The database's size on disk at the last check.");
        _overCap = factory.CreateGauge("fleetwatch_database_over_cap", "1 while the database is past 90% of Retention:MaxDatabaseBytes.");
    }

    /// <summary>Events this node has deleted since start (for tests and the bench).</summary>
    public long PurgedEvents => Interlocked.Read(ref _purged);

    /// <summary>Passes completed since start.</summary>
    public int Passes { get; private set; }

    public (int? RawDays, int? RollupDays) Effective(ProjectRetention own) => (own.RawDays ?? _options.RawDays, own.RollupDays ?? _options.RollupDays);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.IntervalMs));
        do
        {
            try
            {
                // Tomorrow's partition exists before tomorrow (every node may; the first does it).
                await _partitions.PrepareAsync(stoppingToken);
                await CheckSizeAsync(stoppingToken);
                if (_leadership.IsLeader) await PurgeAsync(stoppingToken);
                Passes++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Failed(_logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PurgeAsync(CancellationToken ct)
    {
        var now = Clock.NowMicros();
        var projects = await _store.ListAsync(ct);
        // A day every project has let go of is dropped whole; what is left (projects keeping less) is deleted below.
        var kept = projects.Select(p => Effective(p).RawDays).ToList();
        if (kept.Count > 0 && kept.All(days => days is not null))
            _droppedPartitions.Inc(await _partitions.DropBeforeAsync(now - kept.Max()!.Value * DayMicros, ct));
        foreach (var project in projects)
        {
            var (rawDays, rollupDays) = Effective(project);
            if (rawDays is null && rollupDays is null) continue;
            foreach (var device in _devices.InProject(project.ProjectId))
            {
                if (rawDays is { } raw) await PurgeEventsAsync(device.Id, now - raw * DayMicros, ct);
                if (rollupDays is { } rollup)
                {
                    var hours = await _store.PurgeRollupsAsync(device.Id, HourlyRollup.HourOf(now - rollup * DayMicros), ct);
                    _purgedHours.Inc(hours);
                }
            }
        }
    }

    private async Task PurgeEventsAsync(long deviceId, long before, CancellationToken ct)
    {
        foreach (var kind in Kinds)
        {
            // A read first: most devices have nothing expired, and a delete (on SQLite, a turn of the writer) would cost them all.
            if (!await _store.HasExpiredAsync(deviceId, kind, before, ct)) continue;
            int deleted;
            do
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                deleted = await _store.PurgeEventsAsync(deviceId, kind, before, _options.BatchRows, ct);
                var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                _purgedEvents.Inc(deleted);
                Interlocked.Add(ref _purged, deleted);
                // The status history's count is read again from the store on its next request.
                if (deleted > 0 && kind == EventKind.Status) _statusCounts.Forget(deviceId);
                // Ingest comes first: a delete costs about what inserting the rows did, so while ingest goes on each
                // delete is followed by a pause nine times its length — at most a tenth of the writer's (or the
                // database's) time goes to expiry; with no ingest, deletes run back to back.
                if (deleted > 0 && _writer.WroteWithin(IngestRecently)) await Task.Delay(took * PauseFactor, ct);
                else if (deleted > 0) await Task.Yield();
            }
            while (deleted >= _options.BatchRows);
        }
    }

    private async Task CheckSizeAsync(CancellationToken ct)
    {
        var bytes = await _store.DatabaseBytesAsync(ct);
        _databaseBytes.Set(bytes);
        var over = _options.MaxDatabaseBytes is { } cap && bytes >= cap * 0.9;
        _overCap.Set(over ? 1 : 0);
        if (over) Log.NearCap(_logger, bytes, _options.MaxDatabaseBytes!.Value);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RetentionFailed, Level = LogLevel.Warning, Message = "Deleting expired data failed; it is retried on the next pass")]
        public static partial void Failed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = LogEvents.DatabaseNearCap, Level = LogLevel.Warning,
            Message = "The database is {Bytes} bytes, past 90% of Retention:MaxDatabaseBytes ({Cap}): shorten a project's retention or make room")]
        public static partial void NearCap(ILogger logger, long bytes, long cap);
    }
}
