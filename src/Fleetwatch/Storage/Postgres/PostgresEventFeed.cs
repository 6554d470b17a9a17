using Fleetwatch.Ingest;
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

    // Work a node does only for its own writes (e.g. rolling up the hours it wrote) is not repeated for others'.
    private readonly ICommitObserver[] _observers = [.. observers.Where(o => o is not ILocalCommitObserver)];

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
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}; LISTEN {ChangesChannel}", connection))
        {
            await listen.ExecuteNonQueryAsync(ct);
        }
        // Announcements sent while this node was not listening are lost — after a lost connection, and also between
        // loading its state at start and this first LISTEN: re-read what is kept in memory, and tell live subscribers
        // they may have missed events.
        await changes.DeliverAsync(ChangeBus.ResyncTopic, "", ct);
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
        if (!EventIdBlocks.TryParse(payload, out var node, out var ranges) || node == store.NodeId) return;
        foreach (var (min, max) in ranges)
        {
            var batch = await store.ReadCommittedAsync(min, max, metrics, ct);
            foreach (var observer in _observers) observer.OnCommitted(batch);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Lost the PostgreSQL notification connection; reconnecting")]
        public static partial void Disconnected(ILogger logger, Exception exception);
    }
}
