using System.Globalization;
using System.Text.RegularExpressions;
using Fleetwatch.Model;
using Fleetwatch.Retention;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

/// <summary>
/// The events table's time partitions (see migration 11): <c>events_past</c> (everything before the first day
/// partition), one partition per UTC day, and <c>events_future</c> (everything after the last). Days are split off
/// <c>events_future</c> ahead of time — in a short transaction that holds the table's lock for milliseconds, since
/// the future partition is normally empty — and dropped whole when expired.
/// </summary>
public sealed partial class PostgresPartitions(PostgresStore store) : IEventPartitions
{
    public const long DayMicros = 86_400_000_000;
    private const int DaysAhead = 2;
    /// <summary>"FWpart" in ASCII: the advisory lock that serialises partition changes between nodes.</summary>
    private const long LockKey = 0x46_57_70_61_72_74;

    public sealed record Partition(string Name, long From, long To);

    public async Task<IReadOnlyList<Partition>> ListAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'events'::regclass
            """, connection);
        var partitions = new List<Partition>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var bounds = Bounds().Match(reader.GetString(1));
            partitions.Add(new Partition(reader.GetString(0), Bound(bounds.Groups[1].Value, long.MinValue), Bound(bounds.Groups[2].Value, long.MaxValue)));
        }
        return [.. partitions.OrderBy(p => p.From)];
    }

    private static long Bound(string text, long unbounded) =>
        text is "MINVALUE" or "MAXVALUE" ? unbounded : long.Parse(text.Trim('\''), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"FROM \((.+?)\) TO \((.+?)\)")]
    private static partial Regex Bounds();

    public async Task PrepareAsync(CancellationToken ct)
    {
        var until = (Clock.NowMicros() / DayMicros + DaysAhead + 1) * DayMicros;
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockAsync(connection, ct);
        var future = (await ListAsync(connection, ct)).Single(p => p.To == long.MaxValue);
        for (var day = future.From; day < until; day += DayMicros)
        {
            // events_future steps aside while the day is split off it: what it holds of that day moves into the day.
            var next = day + DayMicros;
            await ExecuteAsync(connection, $"""
                ALTER TABLE events DETACH PARTITION {future.Name};
                CREATE TABLE events_{DayName(day)} PARTITION OF events FOR VALUES FROM ({day}) TO ({next});
                WITH moved AS (DELETE FROM {future.Name} WHERE ts < {next} RETURNING *) INSERT INTO events SELECT * FROM moved;
                ALTER TABLE events ATTACH PARTITION {future.Name} FOR VALUES FROM ({next}) TO (MAXVALUE);
                """, ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task<int> DropBeforeAsync(long cutoffMicros, CancellationToken ct)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockAsync(connection, ct);
        var partitions = await ListAsync(connection, ct);
        var expired = partitions.Where(p => p.To <= cutoffMicros && p.To != long.MaxValue).ToList();
        foreach (var partition in expired) await ExecuteAsync(connection, $"DROP TABLE {partition.Name}", ct);
        // Something must still take events older than every day partition (a backfill): a new events_past below the first.
        if (expired.Any(p => p.From == long.MinValue))
        {
            var first = partitions.Except(expired).Min(p => p.From);
            await ExecuteAsync(connection, $"CREATE TABLE events_past PARTITION OF events FOR VALUES FROM (MINVALUE) TO ({first})", ct);
        }
        await tx.CommitAsync(ct);
        return expired.Count;
    }

    /// <summary>
    /// Serialises partition changes between nodes, and bounds the wait for the table's exclusive lock: a long read (an
    /// export) holds it off, and every insert would queue behind the waiting change. Not granted in a second, the
    /// change is tried again at the next pass (events_future takes the rows meanwhile).
    /// </summary>
    private static async Task LockAsync(NpgsqlConnection connection, CancellationToken ct) =>
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({LockKey}); SET LOCAL lock_timeout = '1s'", ct);

    private static string DayName(long dayMicros) => Clock.FromMicros(dayMicros).ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
