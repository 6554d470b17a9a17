using Fleetwatch.Model;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

/// <summary>
/// Keeps this node's in-memory state (devices, latest statuses, and later live streams) in step with the
/// other nodes on the same PostgreSQL: each node announces "ids A..B committed" once per batch; this loop
/// LISTENs, reads those events back from the table and hands them to the same commit observers as local
/// batches. A node's ids come in blocks of its own (EventIdBlocks), so a range holds one node's batch and nothing else.
/// </summary>
public sealed partial class PostgresEventFeed(PostgresStore store, MetricDictionary metrics, IEnumerable<ICommitObserver> observers,
    ChangeBus changes, ILogger<PostgresEventFeed> logger) : BackgroundService
{
    public const string Channel = "fleetwatch_events";
    /// <summary>Device and key changes, as "node|topic:value" (see <see cref="ChangeBus"/>).</summary>
    public const string ChangesChannel = "fleetwatch_changes";
    /// <summary>The listening connection's application_name.</summary>
    public const string ApplicationName = "fleetwatch feed";

    // Work a node does only for its own writes (e.g. rolling up the hours it wrote) is not repeated for others'.
    private readonly ICommitObserver[] _observers = [.. observers.Where(o => o is not ILocalCommitObserver)];
    private const long CatchUpSlice = 64 * EventIdBlocks.BlockSize;
    private readonly AppliedEvents _applied = new(store.WroteEvent);
    private bool _listenedBefore;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                Log.Disconnected(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        var pending = System.Threading.Channels.Channel.CreateUnbounded<(string Channel, string Payload)>(new() { SingleReader = true });
        connection.Notification += (_, e) => pending.Writer.TryWrite((e.Channel, e.Payload));
        // Named, so operators (and tests) can tell the listening connection in pg_stat_activity. The newest id block
        // handed out is read once listening (blocks after it are announced): a catch-up reads up to it.
        long newestBlock = 0;
        await using (var listen = new NpgsqlCommand(
            $"SET application_name = '{ApplicationName}'; LISTEN {Channel}; LISTEN {ChangesChannel}; SELECT last_value FROM events_id_seq", connection))
        await using (var reader = await listen.ExecuteReaderAsync(ct))
        {
            do
            {
                if (reader.FieldCount > 0 && await reader.ReadAsync(ct)) newestBlock = reader.GetInt64(0);
            }
            while (await reader.NextResultAsync(ct));
        }
        // Announcements sent while this node was not listening are lost — after a lost connection, and also between
        // loading its state at start and this first LISTEN: re-read what is kept in memory, and tell live subscribers
        // they may have missed events.
        await changes.DeliverAsync(ChangeBus.ResyncTopic, "", ct);
        // After a lost connection, the other nodes' events committed meanwhile are read from the table and handed on
        // like any announced batch (at start, the state was just loaded from the table).
        if (_listenedBefore)
        {
            var missed = 0;
            foreach (var (min, max) in _applied.MissedRanges(newestBlock))
            {
                // In slices, so a long outage is never read into memory at once.
                for (var from = min; from <= max; from += CatchUpSlice) missed += await ApplyRangeAsync(from, Math.Min(max, from + CatchUpSlice - 1), ct);
            }
            Log.CaughtUp(logger, missed);
        }
        _listenedBefore = true;
        _applied.Seen(newestBlock);
        while (true)
        {
            await connection.WaitAsync(ct);
            while (pending.Reader.TryRead(out var notice))
            {
                if (notice.Channel == ChangesChannel) await ApplyChangeAsync(notice.Payload, ct);
                else await ApplyAsync(notice.Payload, ct);
            }
        }
    }

    private async Task ApplyChangeAsync(string payload, CancellationToken ct)
    {
        var bar = payload.IndexOf('|');
        var colon = payload.IndexOf(':', bar + 1);
        if (bar < 0 || colon < 0 || payload.AsSpan(0, bar).SequenceEqual(store.NodeId)) return;
        await changes.DeliverAsync(payload[(bar + 1)..colon], payload[(colon + 1)..], ct);
    }

    private async Task ApplyAsync(string payload, CancellationToken ct)
    {
        if (!EventIdBlocks.TryParse(payload, out var node, out var ranges, out var backfill)) return;
        if (node == store.NodeId)
        {
            // Nothing to apply, but its blocks are the newest too: a catch-up need not look below them.
            foreach (var (min, _) in ranges) _applied.Seen(EventIdBlocks.BlockOf(min));
            return;
        }
        foreach (var (min, max) in ranges)
        {
            if (_applied.Unapplied(min, max) is { } unapplied) await ApplyRangeAsync(unapplied.Min, unapplied.Max, ct, backfill);
        }
    }

    /// <summary>
    /// Reads ids [min, max] back and hands the other nodes' rows not applied yet to the observers; how many. A batch
    /// caught up after a lost connection comes without its announcement, so imported history in it counts as news.
    /// </summary>
    private async Task<int> ApplyRangeAsync(long min, long max, CancellationToken ct, bool backfill = false)
    {
        var read = await store.ReadCommittedAsync(min, max, metrics, ct, backfill);
        var keep = Enumerable.Range(0, read.Events.Length).Where(i => _applied.IsMissed(read.Events[i].Id)).ToArray();
        if (keep.Length == 0) return 0;
        var devices = keep.Select(i => read.Events[i].DeviceId).ToHashSet();
        var batch = keep.Length == read.Events.Length ? read : new CommittedBatch([.. keep.Select(i => read.Events[i])], [.. keep.Select(i => read.Drafts[i])],
            [.. read.NewDevices.Where(d => devices.Contains(d.DeviceId))]);
        foreach (var observer in _observers) observer.OnCommitted(batch);
        foreach (var e in batch.Events) _applied.Applied(e.Id);
        return batch.Events.Length;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.FeedDisconnected, Level = LogLevel.Warning, Message = "Lost the PostgreSQL notification connection; reconnecting")]
        public static partial void Disconnected(ILogger logger, Exception exception);

        [LoggerMessage(EventId = LogEvents.FeedCaughtUp, Level = LogLevel.Information, Message = "Listening again: read {Events} events other nodes committed meanwhile")]
        public static partial void CaughtUp(ILogger logger, int events);
    }
}
