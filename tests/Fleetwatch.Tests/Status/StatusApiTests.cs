using System.Net;
using Fleetwatch.Auth;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Status;

/// <summary>The device-status contract (CONTRACTS.md §1), run against each backend by the classes at the end.</summary>
public abstract class StatusApiTests(ServerFixture fixture)
{
    protected TestServer Server => fixture.Server;
    protected HttpClient Client => fixture.Server.Client;

    private static object Status(string device, string timestamp, int battery = 90, int rssi = -50, bool online = true) =>
        new { device_id = device, timestamp, battery_level = battery, rssi, online };

    [Fact]
    public async Task PostStatus_Returns201WithTheStoredRecord()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var before = DateTime.UtcNow;
        var response = await Client.PostJsonAsync("/status", Status("sensor-1", "2024-06-14T10:00:00Z", 90, -50, true), key);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.True(body.Long("id") > 0);
        Assert.Equal("sensor-1", body.Str("device_id"));
        Assert.Equal("2024-06-14T10:00:00Z", body.Str("timestamp"));
        Assert.Equal(90, body.Int("battery_level"));
        Assert.Equal(-50, body.Int("rssi"));
        Assert.True(body.Bool("online"));
        var created = DateTime.Parse(body.Str("created_at"), null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.InRange(created, before.AddSeconds(-5), DateTime.UtcNow.AddSeconds(5));
        Assert.EndsWith("Z", body.Str("created_at"));
        Assert.Equal(body.Str("created_at"), body.Str("last_updated"));
        Assert.Equal(8, body.EnumerateObject().Count());
    }

    [Fact]
    public async Task PostStatus_ConvertsOffsetsToUtcAndKeepsMicroseconds()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var response = await Client.PostJsonAsync("/status", Status("tz", "2024-06-14T12:30:00.123456789+02:00"), key);
        Assert.Equal("2024-06-14T10:30:00.123456Z", (await response.ReadJsonAsync()).Str("timestamp"));
    }

    [Fact]
    public async Task GetLatest_IsTheGreatestDeviceTimestamp_NotTheLastWrite()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        await Client.PostJsonAsync("/status", Status("d", "2024-06-14T10:00:00Z", battery: 50), key);
        await Client.PostJsonAsync("/status", Status("d", "2024-06-14T09:00:00Z", battery: 40), key);

        var latest = await (await Client.GetAsync("/status/d", key)).ReadJsonAsync();
        Assert.Equal(50, latest.Int("battery_level"));
        Assert.Equal("2024-06-14T10:00:00Z", latest.Str("timestamp"));

        // A tie on the device timestamp goes to the later write.
        await Client.PostJsonAsync("/status", Status("d", "2024-06-14T10:00:00Z", battery: 60), key);
        latest = await (await Client.GetAsync("/status/d", key)).ReadJsonAsync();
        Assert.Equal(60, latest.Int("battery_level"));
        Assert.Equal(8, latest.EnumerateObject().Count());
    }

    [Fact]
    public async Task GetLatest_UnknownDevice_Is404WithTheOldMessage()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var problem = await (await Client.GetAsync("/status/sensor-xyz-999", key)).ProblemAsync(404);
        Assert.Equal("Device sensor-xyz-999 not found", problem.Str("detail"));
    }

    [Fact]
    public async Task Summary_CountsOnlineAndOffline_OrderedByDeviceId()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        await Client.PostJsonAsync("/status", Status("sensor-b", "2024-06-14T10:00:00Z", 45, -70, false), key);
        await Client.PostJsonAsync("/status", Status("sensor-a", "2024-06-14T14:00:00Z", 76, -60, true), key);
        await Client.PostJsonAsync("/status", Status("sensor-a", "2024-06-14T13:00:00Z", 10, -60, false), key);

        var response = await Client.GetAsync("/status/summary", key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var summary = await response.ReadJsonAsync();
        Assert.Equal(2, summary.Int("total_devices"));
        Assert.Equal(1, summary.Int("online_devices"));
        Assert.Equal(1, summary.Int("offline_devices"));
        var devices = summary.GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(["sensor-a", "sensor-b"], devices.Select(d => d.Str("device_id")));
        var a = devices[0];
        Assert.Equal("2024-06-14T14:00:00Z", a.Str("timestamp"));
        Assert.Equal("2024-06-14T14:00:00Z", a.Str("last_update"));
        Assert.Equal(76, a.Int("battery_level"));
        Assert.Equal(-60, a.Int("rssi"));
        Assert.True(a.Bool("online"));
    }

    [Fact]
    public async Task Summary_OfAnEmptyProject_IsNotShadowedByTheDeviceRoute()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var summary = await (await Client.GetAsync("/status/summary", key)).ReadJsonAsync();
        Assert.Equal(0, summary.Int("total_devices"));
        Assert.Empty(summary.GetProperty("devices").EnumerateArray());
    }

    [Fact]
    public async Task AtRisk_ListsLowBatteryAndSilentDevicesWithReasons()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var now = DateTime.UtcNow;
        await Client.PostJsonAsync("/status", Status("fine", now.ToString("O"), battery: 80), key);
        await Client.PostJsonAsync("/status", Status("low", now.ToString("O"), battery: 12), key);
        await Client.PostJsonAsync("/status", Status("silent", now.AddHours(-2).ToString("O"), battery: 90), key);

        var body = await (await Client.GetAsync("/status/at-risk", key)).ReadJsonAsync();
        // The follow-up assignment's body: {total_devices, at_risk_devices, risk_devices}, ordered by device_id.
        Assert.Equal(["total_devices", "at_risk_devices", "risk_devices"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal((3, 2), (body.Int("total_devices"), body.Int("at_risk_devices")));
        Assert.Equal(["low", "silent"], body.GetProperty("risk_devices").EnumerateArray().Select(d => d.Str("device_id")));
        var devices = body.GetProperty("risk_devices").EnumerateArray().ToDictionary(d => d.Str("device_id"));
        Assert.Contains("battery", devices["low"].GetProperty("reasons")[0].GetString());
        Assert.Contains("30 minutes", devices["silent"].GetProperty("reasons")[0].GetString());
    }

    [Fact]
    public async Task History_PagesNewestFirst_WithTotals()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        for (var i = 0; i < 25; i++)
            await Client.PostJsonAsync("/status", Status("h", $"2024-06-14T10:{i:00}:00Z", battery: i), key);

        var page = await (await Client.GetAsync("/status/h/history?page=2&page_size=10", key)).ReadJsonAsync();
        Assert.Equal("h", page.Str("device_id"));
        Assert.Equal(25, page.Int("total_records"));
        Assert.Equal(2, page.Int("page"));
        Assert.Equal(10, page.Int("page_size"));
        Assert.Equal(3, page.Int("total_pages"));
        Assert.True(page.Bool("has_more"));
        var statuses = page.GetProperty("statuses").EnumerateArray().ToArray();
        Assert.Equal(Enumerable.Range(5, 10).Reverse(), statuses.Select(s => s.Int("battery_level")));
        Assert.Equal(statuses.Select(s => s.Long("id")), page.GetProperty("history").EnumerateArray().Select(s => s.Long("id")));
        Assert.All(statuses, s => Assert.Equal("h", s.Str("device_id")));

        var last = await (await Client.GetAsync("/status/h/history?page=3&page_size=10", key)).ReadJsonAsync();
        Assert.Equal(5, last.GetProperty("statuses").GetArrayLength());
        Assert.False(last.Bool("has_more"));

        var defaults = await (await Client.GetAsync("/status/h/history", key)).ReadJsonAsync();
        Assert.Equal(1, defaults.Int("page"));
        Assert.Equal(10, defaults.Int("page_size"));
        Assert.Equal(24, defaults.GetProperty("statuses")[0].Int("battery_level"));
    }

    [Fact]
    public async Task History_WithNoPagingParameter_StatusesIsPageOneOfTen_HistoryIsTheNewestFifty()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var statuses = Enumerable.Range(0, 60).Select(i => Status("n", $"2024-06-14T10:{i:00}:00Z", battery: i)).ToArray();
        foreach (var status in statuses) Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/status", status, key)).StatusCode);

        // Each list keeps its own service's default (CONTRACTS.md §1): variant a pages by 10, variant b takes the newest 50.
        var body = await (await Client.GetAsync("/status/n/history", key)).ReadJsonAsync();
        Assert.Equal(Enumerable.Range(50, 10).Reverse(), body.GetProperty("statuses").EnumerateArray().Select(s => s.Int("battery_level")));
        Assert.Equal(Enumerable.Range(10, 50).Reverse(), body.GetProperty("history").EnumerateArray().Select(s => s.Int("battery_level")));
        Assert.True(body.Bool("has_more"));
        Assert.Equal((60, 1, 10, 6), (body.Int("total_records"), body.Int("page"), body.Int("page_size"), body.Int("total_pages")));

        // A date range alone is no paging parameter either; 30 matches are all in history and has_more is false.
        body = await (await Client.GetAsync("/status/n/history?start_date=2024-06-14T10:30:00Z", key)).ReadJsonAsync();
        Assert.Equal(30, body.GetProperty("history").GetArrayLength());
        Assert.Equal(10, body.GetProperty("statuses").GetArrayLength());
        Assert.False(body.Bool("has_more"));

        // Any paging parameter turns both lists into that page.
        body = await (await Client.GetAsync("/status/n/history?page=1", key)).ReadJsonAsync();
        Assert.Equal(10, body.GetProperty("history").GetArrayLength());
        Assert.True(body.Bool("has_more"));
    }

    [Fact]
    public async Task Timestamps_WithoutAnOffset_AreUtc_InPostsAndQueries()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        // Python's datetime.utcnow().isoformat(), as the old services' clients send it.
        var response = await Client.PostJsonAsync("/status", Status("naive", "2024-06-14T10:00:00.123456", battery: 1), key);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("2024-06-14T10:00:00.123456Z", (await response.ReadJsonAsync()).Str("timestamp"));
        await Client.PostJsonAsync("/status", Status("naive", "2024-06-14T11:00:00", battery: 2), key);
        Assert.Equal("2024-06-14T11:00:00Z", (await (await Client.GetAsync("/status/naive", key)).ReadJsonAsync()).Str("timestamp"));

        var page = await (await Client.GetAsync("/status/naive/history?start_date=2024-06-14T10:30:00&end_date=2024-06-14T11:00:00.000000001", key)).ReadJsonAsync();
        Assert.Equal([2], page.GetProperty("statuses").EnumerateArray().Select(s => s.Int("battery_level")));
        page = await (await Client.GetAsync("/status/naive/history?since=2024-06-14T10:00:00.123456", key)).ReadJsonAsync();
        Assert.Equal([2], page.GetProperty("history").EnumerateArray().Select(s => s.Int("battery_level")));
    }

    [Fact]
    public async Task History_TotalIsKeptAfterTheFirstPage_AcrossNewLateAndOtherDevicesStatuses()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        for (var i = 0; i < 12; i++) await Client.PostJsonAsync("/status", Status("counted", $"2024-06-14T10:{i:00}:00Z"), key);
        Assert.Equal(12, (await (await Client.GetAsync("/status/counted/history", key)).ReadJsonAsync()).Int("total_records"));

        // Once counted, the total moves with each commit: a new status, a late one, another device's none.
        await Client.PostJsonAsync("/status", Status("counted", "2024-06-14T11:00:00Z"), key);
        await Client.PostJsonAsync("/status", Status("counted", "2024-06-14T09:00:00Z"), key);
        await Client.PostJsonAsync("/status", Status("other", "2024-06-14T11:00:00Z"), key);
        var page = await (await Client.GetAsync("/status/counted/history?page=2&page_size=10", key)).ReadJsonAsync();
        Assert.Equal((14, 2, false), (page.Int("total_records"), page.Int("total_pages"), page.Bool("has_more")));
        Assert.Equal("2024-06-14T09:00:00Z", page.GetProperty("statuses").EnumerateArray().Last().Str("timestamp"));
        // A date range is counted in the store, as before.
        Assert.Equal(2, (await (await Client.GetAsync("/status/counted/history?start_date=2024-06-14T10:11:00Z", key)).ReadJsonAsync()).Int("total_records"));
    }

    [Fact]
    public async Task History_BeyondTheLastPage_Is400()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        await Client.PostJsonAsync("/status", Status("p", "2024-06-14T10:00:00Z"), key);
        var problem = await (await Client.GetAsync("/status/p/history?page=2", key)).ProblemAsync(400);
        Assert.Contains("page", problem.Str("detail"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task History_FiltersByInclusiveDateRange()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        foreach (var hour in new[] { 8, 9, 10, 11, 12 })
            await Client.PostJsonAsync("/status", Status("r", $"2024-06-14T{hour:00}:00:00Z", battery: hour), key);

        var page = await (await Client.GetAsync("/status/r/history?start_date=2024-06-14T09:00:00Z&end_date=2024-06-14T11:00:00Z", key)).ReadJsonAsync();
        Assert.Equal(3, page.Int("total_records"));
        Assert.Equal([11, 10, 9], page.GetProperty("statuses").EnumerateArray().Select(s => s.Int("battery_level")));

        // Offsets count: 11:00+01:00 is 10:00Z.
        page = await (await Client.GetAsync("/status/r/history?end_date=2024-06-14T11:00:00%2B01:00", key)).ReadJsonAsync();
        Assert.Equal([10, 9, 8], page.GetProperty("statuses").EnumerateArray().Select(s => s.Int("battery_level")));
    }

    [Fact]
    public async Task History_LimitAndSince_AsTheSecondService()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        for (var i = 0; i < 6; i++)
            await Client.PostJsonAsync("/status", Status("l", $"2024-06-14T1{i}:00:00Z", battery: i), key);

        var page = await (await Client.GetAsync("/status/l/history?limit=4", key)).ReadJsonAsync();
        Assert.Equal([5, 4, 3, 2], page.GetProperty("history").EnumerateArray().Select(s => s.Int("battery_level")));
        Assert.Equal(6, page.Int("total_records"));
        Assert.True(page.Bool("has_more"));
        Assert.Equal(4, page.Int("page_size"));
        Assert.Equal(1, page.Int("page"));

        // "since" means after: the status at exactly that time is not repeated.
        page = await (await Client.GetAsync("/status/l/history?since=2024-06-14T13:00:00Z", key)).ReadJsonAsync();
        Assert.Equal([5, 4], page.GetProperty("history").EnumerateArray().Select(s => s.Int("battery_level")));
        Assert.False(page.Bool("has_more"));
        Assert.Equal(50, page.Int("page_size"));
    }

    [Theory]
    [InlineData("page=0", "page")]
    [InlineData("page=abc", "page")]
    [InlineData("page_size=0", "page_size")]
    [InlineData("page_size=101", "page_size")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("start_date=yesterday", "start_date")]
    [InlineData("end_date=2024-06-14", "end_date")]
    [InlineData("since=2024-13-01T00:00:00Z", "since")]
    [InlineData("start_date=2024-06-15T00:00:00Z&end_date=2024-06-14T00:00:00Z", "start_date")]
    public async Task History_InvalidParameter_Is422NamingIt(string query, string parameter)
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        await Client.PostJsonAsync("/status", Status("q", "2024-06-14T10:00:00Z"), key);
        var problem = await (await Client.GetAsync($"/status/q/history?{query}", key)).ProblemAsync(422);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
        Assert.Contains(parameter, problem.Str("detail"));
    }

    [Fact]
    public async Task History_UnknownDevice_Is404()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var problem = await (await Client.GetAsync("/status/ghost/history", key)).ProblemAsync(404);
        Assert.Equal("Device ghost not found", problem.Str("detail"));
    }

    [Theory]
    [InlineData("""{"timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":-50,"online":true}""", "device_id")]
    [InlineData("""{"device_id":42,"timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":-50,"online":true}""", "device_id")]
    [InlineData("""{"device_id":"","timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":-50,"online":true}""", "device_id")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":101,"rssi":-50,"online":true}""", "battery_level")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":-1,"rssi":-50,"online":true}""", "battery_level")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":50.5,"rssi":-50,"online":true}""", "battery_level")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":"90","rssi":-50,"online":true}""", "battery_level")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":99999999999999999999,"rssi":-50,"online":true}""", "battery_level")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":-201,"online":true}""", "rssi")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":null,"online":true}""", "rssi")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":-50,"online":"yes"}""", "online")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":-50,"online":1}""", "online")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":-50}""", "online")]
    [InlineData("""{"device_id":"x","timestamp":"invalid-date","battery_level":90,"rssi":-50,"online":true}""", "timestamp")]
    [InlineData("""{"device_id":"x","timestamp":"2024-06-14","battery_level":90,"rssi":-50,"online":true}""", "timestamp")]
    [InlineData("""{"device_id":"x","timestamp":1718359200,"battery_level":90,"rssi":-50,"online":true}""", "timestamp")]
    [InlineData("""{"device_id":"x","timestamp":"2024-02-30T10:00:00Z","battery_level":90,"rssi":-50,"online":true}""", "timestamp")]
    [InlineData("""{"device_id":{"a":1},"timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":-50,"online":true}""", "device_id")]
    [InlineData("""[1,2,3]""", "body")]
    public async Task PostStatus_InvalidField_Is422NamingIt_AndStoresNothing(string body, string field)
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var problem = await (await Client.PostRawAsync("/status", body, key)).ProblemAsync(422);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var reasons), problem.ToString());
        Assert.False(string.IsNullOrWhiteSpace(reasons[0].GetString()));
        Assert.StartsWith(field, problem.Str("detail"));
        await AssertProjectIsEmptyAsync(key);
    }

    [Fact]
    public async Task PostStatus_AllBadFieldsAreNamedAtOnce()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var problem = await (await Client.PostRawAsync("/status", """{"device_id":1,"battery_level":200,"rssi":"x","online":null}""", key)).ProblemAsync(422);
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order();
        Assert.Equal(["battery_level", "device_id", "online", "rssi", "timestamp"], fields);
    }

    [Fact]
    public async Task PostStatus_IgnoresUnknownFields()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var response = await Client.PostRawAsync("/status",
            """{"device_id":"u","timestamp":"2024-06-14T10:00:00Z","battery_level":1,"rssi":0,"online":false,"firmware":{"v":[1,2]},"note":"x"}""", key);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"device_id":""")]
    [InlineData("""not json""")]
    [InlineData("""{"device_id":"x"} trailing""")]
    [InlineData("""{"device_id":"x",}""")]
    public async Task PostStatus_MalformedJson_Is400_AndStoresNothing(string body)
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var problem = await (await Client.PostRawAsync("/status", body, key)).ProblemAsync(400);
        Assert.StartsWith("Malformed JSON", problem.Str("detail"));
        await AssertProjectIsEmptyAsync(key);
    }

    [Fact]
    public async Task PostStatus_EmptyBody_Is400()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        await (await Client.PostRawAsync("/status", "", key)).ProblemAsync(400);
    }

    [Fact]
    public async Task PostStatus_WrongContentType_Is415()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var problem = await (await Client.PostRawAsync("/status", "device_id=x", key, "application/x-www-form-urlencoded")).ProblemAsync(415);
        Assert.Contains("application/json", problem.Str("detail"));
    }

    [Fact]
    public async Task PostStatus_HugeBody_Is413_AndStoresNothing()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var huge = $$"""{"device_id":"x","timestamp":"2024-06-14T10:00:00Z","battery_level":1,"rssi":0,"online":true,"pad":"{{new string('a', 1 << 20)}}"}""";
        await (await Client.PostRawAsync("/status", huge, key)).ProblemAsync(413);
        await AssertProjectIsEmptyAsync(key);
    }

    [Fact]
    public async Task MissingKey_Is401_WithTheOldMessage()
    {
        foreach (var request in new[] { "/status/summary", "/status/x", "/status/x/history" })
        {
            var problem = await (await Client.GetAsync(request, key: null)).ProblemAsync(401);
            Assert.Equal("Missing API key", problem.Str("detail"));
        }
        var post = await (await Client.PostJsonAsync("/status", Status("x", "2024-06-14T10:00:00Z"), key: null)).ProblemAsync(401);
        Assert.Equal("Missing API key", post.Str("detail"));
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("0123abcd.not-the-secret")]
    [InlineData("")]
    public async Task WrongKey_Is401_WithTheOldMessage(string key)
    {
        var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/status/summary") { Headers = { { "X-API-Key", key + "z" } } });
        var problem = await response.ProblemAsync(401);
        Assert.Equal("Invalid API key", problem.Str("detail"));
    }

    [Fact]
    public async Task AuthIsCheckedBeforeTheBody()
    {
        var problem = await (await Client.PostRawAsync("/status", "not json", "wrong")).ProblemAsync(401);
        Assert.Equal("Invalid API key", problem.Str("detail"));
    }

    [Fact]
    public async Task HeaderNameIsCaseInsensitive()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/status/summary") { Headers = { { "x-api-key", key } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AKeyOfProjectA_NeverSeesProjectB()
    {
        var (_, keyA) = await Server.NewProjectKeyAsync();
        var (_, keyB) = await Server.NewProjectKeyAsync();
        await Client.PostJsonAsync("/status", Status("shared-name", "2024-06-14T10:00:00Z", battery: 11), keyA);
        await Client.PostJsonAsync("/status", Status("only-a", "2024-06-14T10:00:00Z"), keyA);

        await (await Client.GetAsync("/status/only-a", keyB)).ProblemAsync(404);
        await (await Client.GetAsync("/status/only-a/history", keyB)).ProblemAsync(404);
        Assert.Equal(0, (await (await Client.GetAsync("/status/summary", keyB)).ReadJsonAsync()).Int("total_devices"));

        // The same device id in project B is a different device.
        await Client.PostJsonAsync("/status", Status("shared-name", "2024-06-14T11:00:00Z", battery: 77), keyB);
        Assert.Equal(11, (await (await Client.GetAsync("/status/shared-name", keyA)).ReadJsonAsync()).Int("battery_level"));
        Assert.Equal(77, (await (await Client.GetAsync("/status/shared-name", keyB)).ReadJsonAsync()).Int("battery_level"));
        Assert.Equal(1, (await (await Client.GetAsync("/status/shared-name/history", keyA)).ReadJsonAsync()).Int("total_records"));
    }

    [Fact]
    public async Task Roles_ReadKeysCannotWrite_IngestKeysCannotRead()
    {
        var (projectId, admin) = await Server.NewProjectKeyAsync();
        var read = await Server.NewKeyAsync(projectId, KeyRole.Read);
        var ingest = await Server.NewKeyAsync(projectId, KeyRole.Ingest);

        await (await Client.PostJsonAsync("/status", Status("r", "2024-06-14T10:00:00Z"), read)).ProblemAsync(403);
        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/status", Status("r", "2024-06-14T10:00:00Z"), ingest)).StatusCode);
        await (await Client.GetAsync("/status/r", ingest)).ProblemAsync(403);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/status/r", read)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/status/r", admin)).StatusCode);
    }

    [Fact]
    public async Task TheEnvironmentApiKey_ActsOnTheDefaultProject()
    {
        var device = "default-" + Guid.NewGuid().ToString("N")[..8];
        var response = await Client.PostJsonAsync("/status", Status(device, "2024-06-14T10:00:00Z"), TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var summary = await (await Client.GetAsync("/status/summary", TestServer.AdminKey)).ReadJsonAsync();
        Assert.Contains(summary.GetProperty("devices").EnumerateArray(), d => d.Str("device_id") == device);

        var (_, other) = await Server.NewProjectKeyAsync();
        await (await Client.GetAsync($"/status/{device}", other)).ProblemAsync(404);
    }

    [Fact]
    public async Task AThousandConcurrentPosts_AreAllStoredAndInHistory()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        using var client = Server.NewClient();
        var start = new DateTime(2024, 6, 14, 0, 0, 0, DateTimeKind.Utc);
        var responses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i =>
            client.PostJsonAsync("/status", Status($"c{i % 10}", start.AddSeconds(i).ToString("O"), battery: i % 101), key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var ids = new HashSet<long>();
        foreach (var r in responses) Assert.True(ids.Add((await r.ReadJsonAsync()).Long("id")));

        var total = 0;
        for (var d = 0; d < 10; d++)
        {
            var history = await (await client.GetAsync($"/status/c{d}/history?limit=1000", key)).ReadJsonAsync();
            Assert.Equal(100, history.Int("total_records"));
            var historyIds = history.GetProperty("history").EnumerateArray().Select(s => s.Long("id")).ToArray();
            Assert.Equal(100, historyIds.Length);
            Assert.All(historyIds, id => Assert.Contains(id, ids));
            total += historyIds.Length;
        }
        Assert.Equal(1000, total);
        var summary = await (await client.GetAsync("/status/summary", key)).ReadJsonAsync();
        Assert.Equal(10, summary.Int("total_devices"));
        // Device c9's latest is its greatest timestamp: post 999.
        Assert.Equal(999 % 101, summary.GetProperty("devices")[9].Int("battery_level"));
    }

    private async Task AssertProjectIsEmptyAsync(string key)
    {
        var summary = await (await Client.GetAsync("/status/summary", key)).ReadJsonAsync();
        Assert.Equal(0, summary.Int("total_devices"));
    }
}

public sealed class SqliteStatusApiTests(SqliteServerFixture fixture) : StatusApiTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresStatusApiTests(PostgresServerFixture fixture) : StatusApiTests(fixture), IClassFixture<PostgresServerFixture>;
