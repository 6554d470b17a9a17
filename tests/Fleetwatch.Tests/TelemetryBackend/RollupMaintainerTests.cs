using System.Net;
using Fleetwatch.Telemetry;
using Fleetwatch.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetwatch.Tests.TelemetryBackend;

/// <summary>
/// Sealed hours are rolled up in the background, before any query asks for them, and an hour that a late
/// write reopens is rolled up again with the late reading in it.
/// </summary>
public abstract class RollupMaintainerTests(DatabaseBackend backend)
{
    [Fact]
    public async Task SealedHours_AreRolledUpInTheBackground_AndRolledUpAgainAfterALateWrite()
    {
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), "--Rollups:IntervalMs", "100");
        var maintainer = server.Services.GetRequiredService<RollupMaintainer>();
        var store = server.Services.GetRequiredService<IRollupStore>();
        var tenant = await Tenant.CreateAsync(server);
        var deviceId = await tenant.AddDeviceAsync(server, "rolled");

        // Four readings in each of three sealed hours, and two in the current hour (not sealed: left for later;
        // both at this very second, so they fall in one hour even at a turn of the hour).
        var now = DateTime.UtcNow;
        var firstHour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddHours(-4);
        static string Ts(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        var events = Enumerable.Range(0, 3).SelectMany(h => Enumerable.Range(0, 4).Select(m => new { ts = Ts(firstHour.AddHours(h).AddMinutes(m * 10)), data = new { temperature = 10.0 * h + m } }))
            .Concat([new { ts = Ts(now), data = new { temperature = 99.0 } }, new { ts = Ts(now), data = new { temperature = 98.0 } }])
            .ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await server.Client.PostJsonAsync("/telemetry", new { device_external_id = "rolled", events }, tenant.Key)).StatusCode);
        // A second device with readings in the first and third hours: two more spans (one transaction holds all the
        // spans due at a pass, so these usually go with the first device's).
        var otherId = await tenant.AddDeviceAsync(server, "rolled-too");
        var other = new[] { 0, 2 }.Select(h => new { ts = Ts(firstHour.AddHours(h).AddMinutes(30)), data = new { temperature = 50.0 + h } }).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await server.Client.PostJsonAsync("/telemetry", new { device_external_id = "rolled-too", events = other }, tenant.Key)).StatusCode);

        await WaitAsync(() => maintainer.HoursBuilt >= 5);
        Assert.Equal(5, maintainer.HoursBuilt);
        Assert.Equal(0, maintainer.PendingHours); // the current hour waits until it seals, and is not due yet
        var first = Micros(firstHour);
        var hours = await store.RolledUpHoursAsync(deviceId, first, first + 3 * HourlyRollup.HourMicros, CancellationToken.None);
        Assert.Equal([first, first + HourlyRollup.HourMicros, first + 2 * HourlyRollup.HourMicros], hours.Order());
        var (rolled, metrics) = await store.ReadRollupsAsync(deviceId, first, first + 2 * HourlyRollup.HourMicros, null, CancellationToken.None);
        Assert.All(rolled, h => Assert.Equal(4, h.Readings));
        var middle = metrics.Single(m => m.Hour == first + HourlyRollup.HourMicros);
        Assert.Equal((10, 13, 46, 4), (middle.Min, middle.Max, middle.Sum, middle.Count));
        var (otherHours, otherMetrics) = await store.ReadRollupsAsync(otherId, first, first + 2 * HourlyRollup.HourMicros, null, CancellationToken.None);
        Assert.Equal([first, first + 2 * HourlyRollup.HourMicros], otherHours.Select(h => h.Hour).Order());
        Assert.Equal([50.0, 52.0], otherMetrics.OrderBy(m => m.Hour).Select(m => m.Max));

        // A late reading in the middle hour drops its rollup with the write; the next pass rolls it up again.
        var late = new { device_external_id = "rolled", events = new[] { new { ts = Ts(firstHour.AddHours(1).AddMinutes(55)), data = new { temperature = -5.0 } } } };
        Assert.Equal(HttpStatusCode.Accepted, (await server.Client.PostJsonAsync("/telemetry", late, tenant.Key)).StatusCode);
        await WaitAsync(() => maintainer.HoursBuilt >= 6);
        Assert.Equal(6, maintainer.HoursBuilt);
        (_, metrics) = await store.ReadRollupsAsync(deviceId, first + HourlyRollup.HourMicros, first + HourlyRollup.HourMicros, null, CancellationToken.None);
        middle = Assert.Single(metrics);
        Assert.Equal((-5, 13, 41, 5), (middle.Min, middle.Max, middle.Sum, middle.Count));
        Assert.Equal(-5, middle.LastValue);
    }

    [Fact]
    public async Task ReadingsWithTextValues_AreRolledUpByTheirNumbers_AndDoNotHoldUpOtherDevices()
    {
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), "--Rollups:IntervalMs", "100");
        var store = server.Services.GetRequiredService<IRollupStore>();
        var tenant = await Tenant.CreateAsync(server);
        var worded = await tenant.AddDeviceAsync(server, "worded");
        var plain = await tenant.AddDeviceAsync(server, "plain");
        var now = DateTime.UtcNow;
        var hour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddHours(-2);
        static string Ts(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        // Text and objects before and after the numbers: the numbers must be read past them, byte for byte.
        var events = Enumerable.Range(0, 3).Select(i => new
        {
            ts = Ts(hour.AddMinutes(i)),
            data = new Dictionary<string, object> { ["note"] = new string('x', 200 + i), ["temperature"] = 10.0 + i, ["shape"] = new { a = i }, ["count"] = i },
        }).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await server.Client.PostJsonAsync("/telemetry", new { device_external_id = "worded", events }, tenant.Key)).StatusCode);
        var numbers = new[] { new { ts = Ts(hour.AddMinutes(5)), data = new { temperature = 7.0 } } };
        Assert.Equal(HttpStatusCode.Accepted, (await server.Client.PostJsonAsync("/telemetry", new { device_external_id = "plain", events = numbers }, tenant.Key)).StatusCode);

        var first = Micros(hour);
        await WaitAsync(() => store.RolledUpHoursAsync(worded, first, first, CancellationToken.None).Result.Count == 1
            && store.RolledUpHoursAsync(plain, first, first, CancellationToken.None).Result.Count == 1);
        var (_, metrics) = await store.ReadRollupsAsync(worded, first, first, null, CancellationToken.None);
        Assert.Equal(2, metrics.Count); // temperature and count: text and objects are not aggregated
        Assert.Contains(metrics, m => (m.Min, m.Max, m.Sum, m.Count) == (10, 12, 33, 3));
        Assert.Contains(metrics, m => (m.Min, m.Max, m.Sum, m.Count) == (0, 2, 3, 3));
        (_, metrics) = await store.ReadRollupsAsync(plain, first, first, null, CancellationToken.None);
        Assert.Equal(7, Assert.Single(metrics).Max);
    }

    private static long Micros(DateTime utc) => (utc - DateTime.UnixEpoch).Ticks / 10;

    private static async Task WaitAsync(Func<bool> condition)
    {
        for (var waited = 0; waited < 10_000 && !condition(); waited += 50) await Task.Delay(50);
    }
}

public sealed class SqliteRollupMaintainerTests() : RollupMaintainerTests(new SqliteBackend());

public sealed class PostgresRollupMaintainerTests() : RollupMaintainerTests(new PostgresBackend());
