using System.Net;
using Fleetwatch.Retention;
using Fleetwatch.Storage.Postgres;
using Fleetwatch.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fleetwatch.Tests.Retention;

/// <summary>
/// PostgreSQL keeps events in day partitions: made ahead of time, an existing table of the old layout migrated in place,
/// and expired days dropped whole, with a partition left for anything older that a backfill still brings.
/// </summary>
public sealed class PostgresPartitionTests
{
    private static readonly long Today = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 / PostgresPartitions.DayMicros * PostgresPartitions.DayMicros;

    private static async Task<List<(string Name, string Bound)>> PartitionsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'events'::regclass ORDER BY c.relname
            """, connection);
        var rows = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1)));
        return rows;
    }

    private static async Task<long> CountAsync(string database, string table)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string Day(long micros) => DateTime.UnixEpoch.AddTicks(micros * 10).ToString("yyyyMMdd");

    [Fact]
    public async Task AFreshDatabase_HasDayPartitionsAhead_AndExpiredDaysAreDroppedWhole()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        await using var server = await TestServer.StartAsync(database, "--Retention:IntervalMs", "100000");
        var partitions = server.Services.GetRequiredService<IEventPartitions>();
        await partitions.PrepareAsync(CancellationToken.None);
        var names = (await PartitionsAsync(database)).Select(p => p.Name).ToList();
        Assert.Equal(["events_" + Day(Today), "events_" + Day(Today + PostgresPartitions.DayMicros), "events_" + Day(Today + 2 * PostgresPartitions.DayMicros),
            "events_future", "events_past"], names);

        var tenant = await Tenant.CreateAsync(server);
        string Line(DateTime ts, int value) => $$$"""{"device_id":"silo","ts":"{{{ts:yyyy-MM-dd'T'HH:mm:ss'Z'}}}","kind":"measurement","payload":{"level":{{{value}}}}}""";
        var now = DateTime.UtcNow;
        var body = string.Join('\n', Line(now.AddDays(-10), 1), Line(now.AddMinutes(-1), 2), Line(now.AddDays(5), 3));
        Assert.Equal(3, (await (await server.Client.PostRawAsync($"/projects/{tenant.ProjectId}/import?format=ndjson", body, tenant.Key, "application/x-ndjson")).ReadJsonAsync()).Long("imported"));
        Assert.Equal(1, await CountAsync(database, "events_past"));
        Assert.Equal(1, await CountAsync(database, "events_" + Day(Today)));
        Assert.Equal(1, await CountAsync(database, "events_future"));

        // Everything before tomorrow has expired: the old rows and today's partition go whole; something still takes older events.
        Assert.Equal(2, await partitions.DropBeforeAsync(Today + PostgresPartitions.DayMicros, CancellationToken.None));
        var after = await PartitionsAsync(database);
        Assert.DoesNotContain(after, p => p.Name == "events_" + Day(Today));
        Assert.Contains($"FROM (MINVALUE) TO ('{Today + PostgresPartitions.DayMicros}')", after.Single(p => p.Name == "events_past").Bound);
        Assert.Equal(1, await CountAsync(database, "events"));
        var late = Line(now.AddDays(-20), 4);
        Assert.Equal(1, (await (await server.Client.PostRawAsync($"/projects/{tenant.ProjectId}/import?format=ndjson", late, tenant.Key, "application/x-ndjson")).ReadJsonAsync()).Long("imported"));
        var exported = await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/export?format=csv", tenant.Key)).Content.ReadAsStringAsync();
        Assert.Equal(["level,4", "level,3"], exported.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(r => string.Join(',', r.Split(',')[^2..])));

        // A day split off the future partition takes the rows it already held.
        await partitions.PrepareAsync(CancellationToken.None);
        Assert.Equal(1, await CountAsync(database, "events_future"));
    }

    [Fact]
    public async Task ATableOfTheOldLayout_IsPartitionedInPlace_KeepingEveryRow()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        var day = PostgresPartitions.DayMicros;
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            async Task Execute(string sql)
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
            // The schema as version 10 left it, with three heartbeats: two days ago, an hour ago, and (a wrong clock) in five days.
            await Execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)");
            for (var version = 1; version <= 10; version++)
            {
                await Execute(PostgresSchema.Migrations[version - 1]);
                await Execute($"INSERT INTO schema_migrations VALUES ({version}, 0)");
            }
            await Execute("INSERT INTO orgs (name, created_at) VALUES ('legacy', 0)");
            await Execute("INSERT INTO projects (org_id, name, created_at) VALUES (1, 'legacy', 0)");
            await Execute("INSERT INTO devices (project_id, external_id, created_at) VALUES (1, 'old-timer', 0)");
            var hourAgo = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds() * 1000;
            await Execute($"""
                INSERT INTO events (id, ts, received_at, device_id, kind, payload) VALUES
                    (1, {hourAgo - 2 * day}, 0, 1, 2, ''::bytea), (2, {hourAgo}, 0, 1, 2, ''::bytea), (3, {hourAgo + 5 * day}, 0, 1, 2, ''::bytea)
                """);
        }

        await using var server = await TestServer.StartAsync(database, "--Retention:IntervalMs", "100000");
        Assert.Equal(3, await CountAsync(database, "events"));
        // The rows up to the newest sane day stay in place; the one a wrong clock put five days ahead moved to the future partition.
        Assert.Equal(2, await CountAsync(database, "events_past"));
        var names = (await PartitionsAsync(database)).Select(p => p.Name).ToList();
        Assert.Contains("events_" + Day(Today + 2 * day), names);
        Assert.Equal(1, await CountAsync(database, "events_future"));
        var key = await server.NewKeyAsync(1, Fleetwatch.Auth.KeyRole.Admin);
        var history = await (await server.Client.GetAsync("/projects/1/export?format=csv&kinds=heartbeat", key)).Content.ReadAsStringAsync();
        Assert.Equal(4, history.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        // Writes go on into the new layout.
        Assert.Equal(HttpStatusCode.Created, (await server.Client.PostJsonAsync("/status",
            new { device_id = "old-timer", timestamp = DateTime.UtcNow.ToString("O"), battery_level = 50, rssi = -50, online = true }, key)).StatusCode);
        // Today is before the first day partition (the day after tomorrow, as the newest sane row was today): events_past takes it.
        Assert.Equal(3, await CountAsync(database, "events_past"));
    }
}
