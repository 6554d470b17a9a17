using System.Net;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Fleet;

/// <summary>The fleet contract (CONTRACTS.md §2), with keys; the keyless simulator mode is in FleetAnonymousTests.</summary>
public abstract class FleetApiTests(ServerFixture fixture)
{
    private static readonly DateTime Start = new(2024, 6, 14, 8, 0, 0, DateTimeKind.Utc);

    protected TestServer Server => fixture.Server;
    protected HttpClient Client => fixture.Server.Client;

    /// <summary>A device registered through the status API: fleet events work for any device of the project.</summary>
    private async Task<(string Key, string Device)> NewDeviceAsync()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var device = "cam-" + Guid.NewGuid().ToString("N")[..8];
        var created = await Client.PostJsonAsync("/status", new { device_id = device, timestamp = "2024-06-14T07:00:00Z", battery_level = 50, rssi = -60, online = true }, key);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (key, device);
    }

    private async Task HeartbeatsAsync(string key, string device, IEnumerable<DateTime> times)
    {
        foreach (var chunk in times.Chunk(50))
        {
            var responses = await Task.WhenAll(chunk.Select(t => Client.PostJsonAsync($"/api/v1/devices/{device}/heartbeat", new { sent_at = t.ToString("O") }, key)));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
        }
    }

    [Fact]
    public async Task DailyUptime_CountsDistinctHeartbeatMinutesPerUtcDay()
    {
        var (key, device) = await NewDeviceAsync();
        var now = DateTime.UtcNow;
        var today = now.Date;
        var yesterday = today.AddDays(-1);
        // Yesterday: 720 distinct minutes (every other minute), one of them twice. Today: the minutes so far, up to 3.
        await HeartbeatsAsync(key, device, Enumerable.Range(0, 720).Select(m => yesterday.AddMinutes(m * 2)).Append(yesterday.AddSeconds(30)));
        var todayMinutes = Enumerable.Range(0, 3).Select(m => today.AddMinutes(m)).Where(t => t <= now).ToList();
        await HeartbeatsAsync(key, device, todayMinutes);

        var body = await (await Client.GetAsync($"/api/v1/devices/{device}/uptime?days=3", key)).ReadJsonAsync();
        var days = body.GetProperty("days").EnumerateArray().ToList();
        Assert.Equal([today.AddDays(-2).ToString("yyyy-MM-dd"), yesterday.ToString("yyyy-MM-dd"), today.ToString("yyyy-MM-dd")], days.Select(d => d.Str("date")));
        Assert.Equal([0L, 720L, todayMinutes.Count], days.Select(d => d.Long("heartbeat_minutes")));
        Assert.Equal(50.0, days[1].GetProperty("uptime").GetDouble());
        await (await Client.GetAsync($"/api/v1/devices/{device}/uptime?days=0", key)).ProblemAsync(422);
        await (await Client.GetAsync("/api/v1/devices/nobody/uptime", key)).ProblemAsync(404);
    }

    private async Task<(double Uptime, string Average)> StatsAsync(string key, string device)
    {
        var response = await Client.GetAsync($"/api/v1/devices/{device}/stats", key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(2, body.EnumerateObject().Count());
        return (body.GetProperty("uptime").GetDouble(), body.Str("avg_upload_time"));
    }

    [Theory]
    [InlineData(480, 0, 100.0)]
    [InlineData(480, 1, 99.79166666666667)]
    [InlineData(480, 34, 92.91666666666667)]
    public async Task Uptime_IsDistinctMinutesOverTheExclusiveSpan(int span, int missing, double expected)
    {
        var (key, device) = await NewDeviceAsync();
        // Every minute from 0 to span inclusive, less missing + 1 in the middle: span - missing distinct minutes.
        var minutes = Enumerable.Range(0, span + 1).Where(m => m < 100 || m > 100 + missing);
        await HeartbeatsAsync(key, device, minutes.Select(m => Start.AddMinutes(m).AddSeconds(17)));
        var (uptime, average) = await StatsAsync(key, device);
        Assert.Equal(expected, uptime, 1e-9);
        Assert.Equal("0s", average);
    }

    [Fact]
    public async Task Uptime_WithBothEndsIsAboveOneHundred_AndIsNotCapped()
    {
        var (key, device) = await NewDeviceAsync();
        await HeartbeatsAsync(key, device, Enumerable.Range(0, 481).Select(m => Start.AddMinutes(m)));
        Assert.Equal(100.20833333333333, (await StatsAsync(key, device)).Uptime, 1e-9);
    }

    [Fact]
    public async Task Uptime_CountsDuplicatesOnce_AndIgnoresDeliveryOrder()
    {
        var (key, device) = await NewDeviceAsync();
        var times = new[] { 10, 0, 5, 5, 5, 3, 10, 1 }.Select(m => Start.AddMinutes(m).AddSeconds(m % 2 == 0 ? 59 : 1));
        await HeartbeatsAsync(key, device, times);
        // Distinct minutes {0,1,3,5,10} over a span of 10.
        Assert.Equal(50.0, (await StatsAsync(key, device)).Uptime, 1e-9);
    }

    [Fact]
    public async Task Uptime_OfASingleMinuteIs100_AndStatsAloneGiveZeroUptime()
    {
        var (key, device) = await NewDeviceAsync();
        await HeartbeatsAsync(key, device, [Start, Start.AddSeconds(30)]);
        Assert.Equal(100.0, (await StatsAsync(key, device)).Uptime);

        var (key2, device2) = await NewDeviceAsync();
        await Client.PostJsonAsync($"/api/v1/devices/{device2}/stats", new { sent_at = "2024-06-14T10:00:00Z", upload_time = 500_000_000L }, key2);
        var (uptime, average) = await StatsAsync(key2, device2);
        Assert.Equal(0.0, uptime);
        Assert.Equal("500ms", average);
    }

    [Fact]
    public async Task Stats_OfADeviceWithNothingYet_Is204()
    {
        var (key, device) = await NewDeviceAsync();
        var response = await Client.GetAsync($"/api/v1/devices/{device}/stats", key);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(new[] { 187_893_379_134L }, "3m7.893379134s")]
    [InlineData(new[] { 1L, 2L }, "1ns")]
    [InlineData(new[] { -1L, -2L }, "-1ns")]
    [InlineData(new[] { long.MaxValue, long.MaxValue, long.MaxValue }, "2562047h47m16.854775807s")]
    [InlineData(new[] { 1_000_000_000L, 2_000_000_001L }, "1.5s")]
    public async Task AverageUploadTime_IsTheTruncatedMean_InGoFormat(long[] uploads, string expected)
    {
        var (key, device) = await NewDeviceAsync();
        foreach (var upload in uploads)
        {
            var response = await Client.PostJsonAsync($"/api/v1/devices/{device}/stats", new { sent_at = "2024-06-14T10:00:00Z", upload_time = upload }, key);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(expected, (await StatsAsync(key, device)).Average);
    }

    [Theory]
    [InlineData("heartbeat")]
    [InlineData("stats")]
    public async Task UnknownDevice_Is404WithMsg(string endpoint)
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var problem = await (await Client.PostJsonAsync($"/api/v1/devices/ghost/{endpoint}", new { sent_at = "2024-06-14T10:00:00Z", upload_time = 1 }, key)).ProblemAsync(404);
        Assert.Equal("device not found", problem.Str("msg"));
        Assert.Equal("device not found", problem.Str("detail"));
        await (await Client.GetAsync("/api/v1/devices/ghost/stats", key)).ProblemAsync(404);
    }

    [Theory]
    [InlineData("heartbeat", """{}""", "sent_at")]
    [InlineData("heartbeat", """{"sent_at":"2024-06-14"}""", "sent_at")]
    [InlineData("heartbeat", """{"sent_at":12345}""", "sent_at")]
    [InlineData("stats", """{"sent_at":"2024-06-14T10:00:00Z"}""", "upload_time")]
    [InlineData("stats", """{"sent_at":"2024-06-14T10:00:00Z","upload_time":"5"}""", "upload_time")]
    [InlineData("stats", """{"sent_at":"2024-06-14T10:00:00Z","upload_time":1.5}""", "upload_time")]
    [InlineData("stats", """{"sent_at":"2024-06-14T10:00:00Z","upload_time":null}""", "upload_time")]
    [InlineData("stats", """{"sent_at":"2024-06-14T10:00:00Z","upload_time":9223372036854775808}""", "upload_time")]
    public async Task InvalidReport_Is422NamingTheField_AndStoresNothing(string endpoint, string body, string field)
    {
        var (key, device) = await NewDeviceAsync();
        var problem = await (await Client.PostRawAsync($"/api/v1/devices/{device}/{endpoint}", body, key)).ProblemAsync(422);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Contains(field, problem.Str("msg"));
        Assert.Equal(HttpStatusCode.NoContent, (await Client.GetAsync($"/api/v1/devices/{device}/stats", key)).StatusCode);
    }

    [Fact]
    public async Task MalformedJson_Is400WithMsg()
    {
        var (key, device) = await NewDeviceAsync();
        var problem = await (await Client.PostRawAsync($"/api/v1/devices/{device}/heartbeat", "{\"sent_at\":", key)).ProblemAsync(400);
        Assert.StartsWith("Malformed JSON", problem.Str("msg"));
    }

    [Fact]
    public async Task UnknownFieldsAreIgnored_AndYearOneIsAValidTime()
    {
        var (key, device) = await NewDeviceAsync();
        var response = await Client.PostRawAsync($"/api/v1/devices/{device}/heartbeat", """{"sent_at":"0001-01-01T00:00:00Z","firmware":"1.2"}""", key);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(100.0, (await StatsAsync(key, device)).Uptime);
    }

    [Fact]
    public async Task WithoutAnonymousAccess_AKeyIsRequired()
    {
        var (_, device) = await NewDeviceAsync();
        var problem = await (await Client.PostJsonAsync($"/api/v1/devices/{device}/heartbeat", new { sent_at = "2024-06-14T10:00:00Z" }, key: null)).ProblemAsync(401);
        Assert.Equal("Missing API key", problem.Str("msg"));
        await (await Client.PostJsonAsync($"/api/v1/devices/{device}/heartbeat", new { sent_at = "2024-06-14T10:00:00Z" }, "bad.key")).ProblemAsync(401);
    }

    [Fact]
    public async Task AnotherProjectsKey_SeesDeviceNotFound()
    {
        var (_, device) = await NewDeviceAsync();
        var (_, other) = await Server.NewProjectKeyAsync();
        await (await Client.PostJsonAsync($"/api/v1/devices/{device}/heartbeat", new { sent_at = "2024-06-14T10:00:00Z" }, other)).ProblemAsync(404);
        await (await Client.GetAsync($"/api/v1/devices/{device}/stats", other)).ProblemAsync(404);
    }

    [Fact]
    public async Task DebugEndpoints_NeedAnAdminKey_AndCountRawEvents()
    {
        var (key, device) = await NewDeviceAsync();
        await HeartbeatsAsync(key, device, [Start, Start, Start.AddMinutes(2)]);
        var stats = await (await Client.GetAsync($"/debug/stats/{device}", key)).ReadJsonAsync();
        Assert.Equal(3, stats.Long("heartbeat_count"));
        Assert.Equal(2, stats.Long("distinct_minutes"));
        var devices = await (await Client.GetAsync("/debug/devices", key)).ReadJsonAsync();
        Assert.Equal([device], devices.EnumerateArray().Select(d => d.Str("device_id")));
        await (await Client.GetAsync("/debug/devices", key: null)).ProblemAsync(401);
        var root = await (await Client.GetAsync("/", key: null)).ReadJsonAsync();
        Assert.Equal("Fleetwatch", root.Str("name"));
        Assert.Equal("/ui/", root.Str("dashboard"));
        Assert.Equal("/docs", root.Str("docs"));
    }
}

public sealed class SqliteFleetApiTests(SqliteServerFixture fixture) : FleetApiTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresFleetApiTests(PostgresServerFixture fixture) : FleetApiTests(fixture), IClassFixture<PostgresServerFixture>;
