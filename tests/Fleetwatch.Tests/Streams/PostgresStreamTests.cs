using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Streams;

public sealed class PostgresStreamTests(PostgresServerFixture fixture) : StreamTests(fixture), IClassFixture<PostgresServerFixture>
{
    [Fact]
    public async Task AfterTheNotificationConnectionDrops_TheNodeResyncs_AndSubscribersAreToldOfTheGap()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        await using var a = await TestServer.StartAsync(database);
        await using var b = await TestServer.StartAsync(database);
        var deviceId = $"gap-{Guid.NewGuid():N}"[..20];
        await a.Client.PostJsonAsync("/api/v1/devices", new { device_id = deviceId }, TestServer.AdminKey);
        await using var stream = await ConnectWhenKnownAsync(b, deviceId);
        Assert.Equal("ack", (await stream.ReceiveAsync()).Str("type"));

        // Cut every node's LISTEN connection; they reconnect within a second and resync.
        await using (var admin = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new Npgsql.NpgsqlCommand($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '{Fleetwatch.Storage.Postgres.PostgresEventFeed.ApplicationName}'", admin);
            await kill.ExecuteNonQueryAsync();
        }
        await Task.Delay(2500);
        await a.Client.PostJsonAsync("/api/v1/ingest", new { device_id = deviceId, temperature = 12 }, TestServer.AdminKey);
        var gap = await stream.ReceiveAsync();
        Assert.Equal("gap", gap.Str("type"));
        Assert.Equal(JsonValueKind.Null, gap.GetProperty("dropped").ValueKind);
        Assert.Equal(12, (await stream.ReceiveAsync()).GetProperty("data").GetProperty("metrics").Int("temperature"));
    }

    private static async Task<LiveStream> ConnectWhenKnownAsync(TestServer server, string deviceId)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await LiveStream.ConnectAsync(server, $"/api/v1/realtime/subscribe/{deviceId}", TestServer.AdminKey);
            }
            catch (WebSocketException) when (attempt < 100)
            {
                await Task.Delay(50);
            }
        }
    }

    [Fact]
    public async Task WithSeveralCommitsInFlight_BothNodesStreamADevicesReadingsInTheOrderOfTheirIds()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        await using var a = await TestServer.StartAsync(database, "--Ingest:ConcurrentCommits", "4");
        await using var b = await TestServer.StartAsync(database);
        var deviceId = $"order-{Guid.NewGuid():N}"[..20];
        foreach (var id in Enumerable.Range(0, 7).Select(i => $"filler-{i}").Append(deviceId))
            await a.Client.PostJsonAsync("/api/v1/devices", new { device_id = id }, TestServer.AdminKey);
        await using var onA = await ConnectWhenKnownAsync(a, deviceId);
        await using var onB = await ConnectWhenKnownAsync(b, deviceId);
        Assert.Equal("ack", (await onA.ReceiveAsync()).Str("type"));
        Assert.Equal("ack", (await onB.ReceiveAsync()).Str("type"));

        // 32 requests in flight at once, so the writer has several transactions open; other devices' readings share them.
        const int Readings = 400;
        using var client = a.NewClient();
        await Parallel.ForAsync(0, Readings * 2, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var body = i % 2 == 0 ? (object)new { device_id = deviceId, seq = i / 2 } : new { device_id = $"filler-{i % 7}", seq = i };
            using var response = await client.PostJsonAsync("/api/v1/ingest", body, TestServer.AdminKey);
            Assert.True(response.IsSuccessStatusCode, $"reading {i}: {(int)response.StatusCode}");
        });

        async Task<List<int>> ValuesAsync(LiveStream stream)
        {
            var values = new List<int>();
            while (values.Count < Readings)
            {
                // The device's connectivity (active on its first reading) comes on the same stream; a gap would be a failure.
                var frame = await stream.ReceiveAsync();
                if (frame.Str("type") == "connectivity") continue;
                Assert.Equal("reading", frame.Str("type"));
                values.Add(frame.GetProperty("data").GetProperty("metrics").Int("seq"));
            }
            return values;
        }
        var seenOnA = await ValuesAsync(onA);
        var seenOnB = await ValuesAsync(onB);
        Assert.Equal(Readings, seenOnA.Distinct().Count());
        Assert.Equal(seenOnA, seenOnB);

        // The stored order (by id) is the order both streams gave.
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT e.payload FROM events e JOIN devices d ON d.id = e.device_id WHERE d.external_id = $1 AND e.kind = 4 ORDER BY e.id", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = deviceId });
        var stored = new List<int>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var seq = double.NaN;
                Fleetwatch.Storage.PayloadCodec.ForEachNumber((byte[])reader[0], ref seq, (ref double value, int _, double number) => value = number);
                stored.Add((int)seq);
            }
        }
        Assert.Equal(seenOnA, stored);
    }

    [Fact]
    public async Task AnEventPostedToOneNode_ReachesASubscriberOfTheOther()
    {
        await using var other = await TestServer.StartAsync(fixture.Server.Database);
        var deviceId = $"cross-{Guid.NewGuid():N}"[..20];
        await fixture.Server.Client.PostJsonAsync("/api/v1/devices", new { device_id = deviceId }, TestServer.AdminKey);
        // The device reaches the other node through NOTIFY; subscribe there once it knows it.
        LiveStream? stream = null;
        for (var attempt = 0; stream is null && attempt < 100; attempt++)
        {
            try
            {
                stream = await LiveStream.ConnectAsync(other, $"/api/v1/realtime/subscribe/{deviceId}", TestServer.AdminKey);
            }
            catch (WebSocketException)
            {
                await Task.Delay(50);
            }
        }
        Assert.NotNull(stream);
        await using (stream)
        {
            Assert.Equal("ack", (await stream.ReceiveAsync()).Str("type"));
            var clock = Stopwatch.StartNew();
            await fixture.Server.Client.PostJsonAsync("/api/v1/ingest", new { device_id = deviceId, temperature = 30 }, TestServer.AdminKey);
            var frame = await stream.ReceiveAsync();
            Assert.Equal(30, frame.GetProperty("data").GetProperty("metrics").Int("temperature"));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"node A to node B took {clock.Elapsed}");
        }
    }
}
