using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Fleetwatch.Retention;
using Fleetwatch.Telemetry;
using Fleetwatch.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetwatch.Tests.Retention;

/// <summary>
/// Retention per project: raw events past their days are deleted in short batches, aggregates over the expired range
/// are answered from the rollups while those are kept, rollups go at their own days, and the database's size is watched
/// against a cap — on each engine.
/// </summary>
public abstract class RetentionTests(ServerFixture fixture)
{
    protected TestServer Server => fixture.Server;
    protected HttpClient Client => fixture.Server.Client;

    private static string Ts(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");

    private async Task<JsonElement> PatchAsync(Tenant tenant, object body, HttpStatusCode expected = HttpStatusCode.OK, string? key = null)
    {
        var response = await Client.SendJsonAsync(HttpMethod.Patch, $"/projects/{tenant.ProjectId}/retention", body, key ?? tenant.Key);
        Assert.True(response.StatusCode == expected, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    [Fact]
    public async Task TheRetentionApi_SetsDaysPerProject_FallsBackToTheDefault_AndRefusesNonsense()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var initial = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/retention", tenant.Key)).ReadJsonAsync();
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("raw_days").ValueKind);
        Assert.True(initial.GetProperty("raw_days_is_default").GetBoolean());

        var set = await PatchAsync(tenant, new { raw_days = 7, rollup_days = 400 });
        Assert.Equal((7, 400, false), (set.GetProperty("raw_days").GetInt32(), set.GetProperty("rollup_days").GetInt32(), set.GetProperty("raw_days_is_default").GetBoolean()));
        // A field left out is unchanged.
        set = await PatchAsync(tenant, new { raw_days = 9 });
        Assert.Equal((9, 400), (set.GetProperty("raw_days").GetInt32(), set.GetProperty("rollup_days").GetInt32()));

        foreach (var (body, field) in new (object, string)[]
        {
            (new { raw_days = 0 }, "raw_days"), (new { raw_days = "week" }, "raw_days"), (new { rollup_days = 3 }, "rollup_days"), (new { raw_days = 500 }, "rollup_days"),
        })
        {
            var problem = await (await Client.SendJsonAsync(HttpMethod.Patch, $"/projects/{tenant.ProjectId}/retention", body, tenant.Key)).ProblemAsync(422);
            Assert.Equal(field, problem.GetProperty("errors").EnumerateObject().Single().Name);
        }
        set = await PatchAsync(tenant, new { raw_days = (int?)null, rollup_days = (int?)null });
        Assert.Equal(JsonValueKind.Null, set.GetProperty("rollup_days").ValueKind);
        Assert.True(set.GetProperty("rollup_days_is_default").GetBoolean());

        var read = await Server.NewKeyAsync(tenant.ProjectId, Fleetwatch.Auth.KeyRole.Read);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client.SendJsonAsync(HttpMethod.Patch, $"/projects/{tenant.ProjectId}/retention", new { raw_days = 1 }, read)).StatusCode);
        var other = await Tenant.CreateAsync(Server);
        Assert.Contains((await Client.GetAsync($"/projects/{tenant.ProjectId}/retention", other.Key)).StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
    }

    [Fact]
    public async Task ExpiredEvents_AreDeletedInBatches_TheirAggregateComesFromRollups_UntilTheRollupsExpireToo()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var deviceId = await tenant.AddDeviceAsync(Server, "kiln");
        var now = DateTime.UtcNow;
        var old = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddDays(-10);
        var recent = now.AddDays(-2);
        // Twelve readings in an hour ten days ago (more than one batch of BatchRows), three two days ago.
        var events = Enumerable.Range(0, 12).Select(i => new { ts = Ts(old.AddMinutes(i * 4)), data = new { temperature = (double)i } })
            .Concat(Enumerable.Range(0, 3).Select(i => new { ts = Ts(recent.AddMinutes(i)), data = new { temperature = 50.0 } })).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostJsonAsync("/telemetry", new { device_external_id = "kiln", events }, tenant.Key)).StatusCode);
        for (var i = 0; i < 3; i++)
        {
            var status = new { device_id = "kiln", timestamp = Ts(old.AddMinutes(i)), battery_level = 80, rssi = -60, online = true };
            Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/status", status, tenant.Key)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/status", new { device_id = "kiln", timestamp = Ts(now), battery_level = 70, rssi = -60, online = true }, tenant.Key)).StatusCode);
        Assert.Equal(4, (await (await Client.GetAsync("/status/kiln/history", tenant.Key)).ReadJsonAsync()).Long("total_records"));

        // The old hour is rolled up before its raw events go.
        var rollups = Server.Services.GetRequiredService<IRollupStore>();
        var oldHour = (old - DateTime.UnixEpoch).Ticks / 10;
        await EventuallyAsync(async () => (await rollups.RolledUpHoursAsync(deviceId, oldHour, oldHour, CancellationToken.None)).Count == 1, "the old hour rolled up");

        await PatchAsync(tenant, new { raw_days = 5, rollup_days = 30 });
        var export = "";
        await EventuallyAsync(async () =>
        {
            export = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/export?format=ndjson", tenant.Key)).Content.ReadAsStringAsync();
            return export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 4;
        }, "only the last five days' events left");
        Assert.DoesNotContain(Ts(old)[..10], export);
        // The history's count follows the deletion.
        Assert.Equal(1, (await (await Client.GetAsync("/status/kiln/history", tenant.Key)).ReadJsonAsync()).Long("total_records"));

        // An aggregate over the expired hour is answered from its rollup: the twelve readings and the three statuses.
        var range = $"start={Ts(old)}&end={Ts(old.AddHours(1))}";
        var aggregate = (await (await Client.GetAsync($"/api/v1/devices/kiln/aggregate?{range}", tenant.Key)).ReadJsonAsync()).GetProperty("data");
        Assert.Equal(15, aggregate.GetProperty("reading_count").GetInt32());

        // Rollups kept 7 days: the old hour's goes too.
        await PatchAsync(tenant, new { rollup_days = 7 });
        await EventuallyAsync(async () => (await rollups.RolledUpHoursAsync(deviceId, oldHour, oldHour, CancellationToken.None)).Count == 0, "the old rollup deleted");
        Assert.True(Server.Services.GetRequiredService<RetentionService>().PurgedEvents >= 15);
    }

    [Fact]
    public async Task ExpiredEvents_AreDeleted_WhileIngestKeepsTheWriterBusy()
    {
        var tenant = await Tenant.CreateAsync(Server);
        await tenant.AddDeviceAsync(Server, "busy-old");
        var old = DateTime.UtcNow.AddDays(-10);
        var events = Enumerable.Range(0, 300).Select(i => new { ts = Ts(old.AddSeconds(i)), data = new { level = i } }).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostJsonAsync("/telemetry", new { device_external_id = "busy-old", events }, tenant.Key)).StatusCode);
        var service = Server.Services.GetRequiredService<RetentionService>();
        var before = service.PurgedEvents;

        // 32 clients posting statuses back to back: the writer commits all the time.
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 32).Select(worker => Task.Run(async () =>
        {
            using var client = Server.NewClient();
            while (!stop.IsCancellationRequested)
            {
                var status = new { device_id = $"busy-{worker}", timestamp = Ts(DateTime.UtcNow), battery_level = 50, rssi = -60, online = true };
                Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/status", status, tenant.Key)).StatusCode);
            }
        })).ToArray();
        try
        {
            await Task.Delay(300);
            await PatchAsync(tenant, new { raw_days = 5 });
            // Under the load, not after it: the deletes take their turns with the batches.
            await EventuallyAsync(() => Task.FromResult(service.PurgedEvents - before >= 300), "the expired events deleted while the load runs");
            Assert.False(load.Any(t => t.IsCompleted), "the load ran all along");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }
    }

    [Fact]
    public async Task TheDatabaseSize_IsAMetric_AndPastNinetyPercentOfTheCap_ItSaysSo()
    {
        var service = Server.Services.GetRequiredService<RetentionService>();
        var passes = service.Passes;
        await EventuallyAsync(() => Task.FromResult(service.Passes > passes + 1), "two retention passes");
        var metrics = await (await Client.GetAsync("/metrics", key: null)).Content.ReadAsStringAsync();
        var size = metrics.Split('\n').Single(l => l.StartsWith("fleetwatch_database_bytes ", StringComparison.Ordinal));
        Assert.True(double.Parse(size.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) > 10_000, size);
        // The fixture's cap is 1 kB: any database is past it.
        Assert.Contains("\nfleetwatch_database_over_cap 1\n", metrics);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 15_000)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail($"Within 15 s: {what}");
    }
}

public static class RetentionSettings
{
    /// <summary>Passes five times a second, in batches of five events; a cap any database is past.</summary>
    public static readonly string[] Fast = ["--Auth:CacheSeconds", "0", "--Rollups:IntervalMs", "100", "--Retention:IntervalMs", "200",
        "--Retention:BatchRows", "5", "--Retention:MaxDatabaseBytes", "1000"];
}

public sealed class SqliteRetentionFixture() : ServerFixture(new SqliteBackend())
{
    protected override string[] Settings => RetentionSettings.Fast;
}

public sealed class PostgresRetentionFixture() : ServerFixture(new PostgresBackend())
{
    protected override string[] Settings => RetentionSettings.Fast;
}

public sealed class SqliteRetentionTests(SqliteRetentionFixture fixture) : RetentionTests(fixture), IClassFixture<SqliteRetentionFixture>;

public sealed class PostgresRetentionTests(PostgresRetentionFixture fixture) : RetentionTests(fixture), IClassFixture<PostgresRetentionFixture>;
