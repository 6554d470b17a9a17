using System.Net;
using Fleetwatch.Tests.Fixtures;
using Microsoft.Playwright;

namespace Fleetwatch.Tests.Dashboard;

/// <summary>The dashboard in headless Chromium (Debian's, installed by test.sh), against a real server.</summary>
public sealed class DashboardTests : BrowserTests
{
    internal static async Task StatusAsync(TestServer server, Tenant tenant, string device, int battery, bool online = true, int secondsAgo = 0) =>
        Assert.Equal(HttpStatusCode.Created, (await server.Client.PostJsonAsync("/status", new
        {
            device_id = device, timestamp = DateTime.UtcNow.AddSeconds(-secondsAgo).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), battery_level = battery, rssi = -60, online,
        }, tenant.Key)).StatusCode);

    /// <summary>Waits until the fleet table lists exactly these devices, in this order.</summary>
    private static Task RowsAsync(IPage page, params string[] devices) =>
        page.WaitForFunctionAsync("expected => [...document.querySelectorAll('#devices tbody tr')].map(r => r.dataset.device).join(',') === expected",
            string.Join(',', devices));

    [Fact]
    public async Task SignIn_TheFleetPageListsTheDevicesWithCounts_AndARowUpdatesLive()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        await StatusAsync(server, tenant, "d-1", 80);
        await StatusAsync(server, tenant, "d-2", 10);
        await StatusAsync(server, tenant, "d-3", 60, online: false);
        var d3 = (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync()).EnumerateArray().Single(d => d.Str("external_id") == "d-3").Long("id");
        await server.Client.SendJsonAsync(HttpMethod.Patch, $"/projects/{tenant.ProjectId}/devices/{d3}/tags", new { tags = new[] { "roof" } }, tenant.Key);
        // Heartbeats in two neighbouring minutes: the fleet API's formula gives 200% uptime, which the page shows capped.
        foreach (var secondsAgo in new[] { 60, 0 })
            await server.Client.PostJsonAsync("/api/v1/devices/d-1/heartbeat", new { sent_at = DateTime.UtcNow.AddSeconds(-secondsAgo).ToString("O") }, tenant.Key);

        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "/ui/").ToString());
        Assert.True(await page.IsVisibleAsync("#api-key"), "without a key only the sign-in prompt shows");
        var icon = await server.Client.GetAsync("/ui/" + await page.GetAttributeAsync("link[rel='icon']", "href"), key: null);
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await page.Locator("#devices").CountAsync());
        await page.FillAsync("#api-key", "0123abcd.wrong");
        await page.ClickAsync("#sign-in");
        await page.WaitForSelectorAsync("#sign-in-error");

        await page.FillAsync("#api-key", tenant.Key);
        await page.ClickAsync("#sign-in");
        await page.WaitForSelectorAsync("#devices tbody tr[data-device='d-3']");
        Assert.Equal(3, await page.Locator("#devices tbody tr").CountAsync());
        Assert.Equal("3", await page.InnerTextAsync("#count-total"));
        Assert.Equal("2", await page.InnerTextAsync("#count-online"));
        Assert.Equal("1", await page.InnerTextAsync("#count-offline"));
        Assert.Equal("1", await page.InnerTextAsync("#count-at-risk"));
        // Connectivity (heard from lately) and the reported flag are two columns: d-3 said offline, and was just heard from.
        Assert.Equal("3", await page.InnerTextAsync("#count-active"));
        Assert.Equal("active", await page.InnerTextAsync("tr[data-device='d-3'] .connectivity"));
        Assert.Equal("offline", await page.InnerTextAsync("tr[data-device='d-3'] .reported"));
        Assert.DoesNotContain(tenant.Key, page.Url);
        // Tags, at-risk reasons and both times are in the row itself; uptime is capped, with the API's figure explained.
        Assert.Equal("roof", await page.InnerTextAsync("tr[data-device='d-3'] .tag"));
        Assert.Contains("battery", await page.InnerTextAsync("tr[data-device='d-2'] .reasons"));
        Assert.NotEqual("—", await page.InnerTextAsync("tr[data-device='d-1'] .device-time"));
        Assert.NotEqual("—", await page.InnerTextAsync("tr[data-device='d-1'] .seen"));
        Assert.Equal("100.0", await page.InnerTextAsync("tr[data-device='d-1'] .uptime"));
        Assert.Contains("200.0%", await page.GetAttributeAsync("tr[data-device='d-1'] .uptime", "title"));

        // Search, filters and sorting are answered by the server, a page at a time.
        await page.FillAsync("#search", "zzz");
        await page.WaitForSelectorAsync("#fleet-empty");
        Assert.Contains("No device matches", await page.InnerTextAsync("#fleet-empty"));
        await page.FillAsync("#search", "d-2");
        await RowsAsync(page, "d-2");
        await page.FillAsync("#search", "");
        await RowsAsync(page, "d-1", "d-2", "d-3");
        await page.SelectOptionAsync("#filter", "offline");
        await RowsAsync(page, "d-3");
        await page.SelectOptionAsync("#filter", "all");
        await page.SelectOptionAsync("#tag", "roof");
        await RowsAsync(page, "d-3");
        await page.SelectOptionAsync("#tag", "");
        await page.ClickAsync("th[data-sort='battery_level']");
        await RowsAsync(page, "d-2", "d-3", "d-1");
        await page.ClickAsync("th[data-sort='device_id']");
        await RowsAsync(page, "d-1", "d-2", "d-3");

        // A status posted through the API shows up without a reload.
        await Task.Delay(300); // the stream is open once the page has drawn
        await StatusAsync(server, tenant, "d-1", 77);
        await page.WaitForFunctionAsync("() => document.querySelector(\"tr[data-device='d-1'] .battery\")?.textContent === '77'");
    }

    [Fact]
    public async Task OnAPhone_TheFleetTableBecomesLabelledCards()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        await StatusAsync(server, tenant, "pocket-1", 55);
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 375, Height = 740 } });
        await page.GotoAsync(new Uri(server.BaseAddress, "/ui/").ToString());
        await page.FillAsync("#api-key", tenant.Key);
        await page.ClickAsync("#sign-in");
        await page.WaitForSelectorAsync("#devices tbody tr[data-device='pocket-1']");
        Assert.Equal("none", await page.EvalOnSelectorAsync<string>("#devices thead", "e => getComputedStyle(e).display"));
        Assert.Equal("block", await page.EvalOnSelectorAsync<string>("#devices tbody tr", "e => getComputedStyle(e).display"));
        Assert.Equal("\"Battery %\"", await page.EvalOnSelectorAsync<string>("tr[data-device='pocket-1'] .battery", "e => getComputedStyle(e, '::before').content"));
        // Nothing sticks out sideways: the page is no wider than the phone.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 375"), "the page scrolls sideways on a phone");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("fleet-phone"), FullPage = true });
    }

    [Fact]
    public async Task TheDevicePage_DrawsItsChart_FromTheAggregateApi()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        for (var i = 0; i < 6; i++) await StatusAsync(server, tenant, "cam-1", 90 - i * 5, secondsAgo: 3600 * i);
        await server.Client.PostJsonAsync("/api/v1/devices/cam-1/heartbeat", new { sent_at = DateTime.UtcNow.ToString("O") }, tenant.Key);
        await server.Client.PostJsonAsync("/api/v1/devices/cam-1/stats", new { sent_at = DateTime.UtcNow.ToString("O"), upload_time = 2_500_000_000L }, tenant.Key);
        var page = await SignInAsync(server, tenant.Key);
        await page.WaitForSelectorAsync("#devices");
        await page.ClickAsync("a[href='#/device/cam-1']");
        // One chart per metric, each with its own heading and scale.
        var canvas = await page.WaitForSelectorAsync("#chart .metric-chart[data-metric='battery_level'] canvas");
        Assert.True(await page.Locator("#chart .metric-chart").CountAsync() >= 2, "a chart per metric");
        Assert.Equal("rssi (dBm)", await page.InnerTextAsync("#chart .metric-chart[data-metric='rssi'] h4"));
        Assert.Equal("active", await page.InnerTextAsync("#device-connectivity"));
        Assert.Equal("online", await page.InnerTextAsync("#device-reported"));
        // Its connectivity over the range: active since its first report, unknown before.
        await page.WaitForSelectorAsync("#connectivity-timeline .span.active");
        // Dragging across one chart zooms all of them to that span.
        var before = await page.GetAttributeAsync("#chart .metric-chart[data-metric='rssi']", "data-from");
        Assert.NotNull(before);
        var over = (await page.QuerySelectorAsync("#chart .metric-chart[data-metric='battery_level'] .u-over"))!;
        var area = (await over.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(area.X + area.Width * 0.6f, area.Y + area.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(area.X + area.Width * 0.9f, area.Y + area.Height / 2, new() { Steps = 5 });
        await page.Mouse.UpAsync();
        await page.WaitForFunctionAsync("b => [...document.querySelectorAll('#chart .metric-chart')].every(c => Number(c.dataset.from) > Number(b))", before);
        var box = await canvas!.BoundingBoxAsync();
        Assert.True(box is { Width: > 100, Height: > 100 }, "the chart has a size");
        Assert.NotNull(await page.WaitForSelectorAsync("#uptime-chart canvas"));
        // The device was made today: the days before it are not drawn as 0% uptime.
        Assert.Equal("1", await page.GetAttributeAsync("#uptime-chart", "data-days"));
        await page.WaitForSelectorAsync("#events tbody tr");
        Assert.Equal(7, await page.Locator("#events tbody tr").CountAsync());
        // The readings table has a column per metric, and an upload time reads as a duration.
        Assert.Contains("battery_level", await page.InnerTextAsync("#events thead"));
        Assert.Contains("2.50 s", await page.InnerTextAsync("#events tbody"));
        Assert.Equal("2.50 s", await page.InnerTextAsync(".card.metric[data-metric='upload_time'] b"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("device"), FullPage = true });
        Assert.Equal(0, await page.Locator("#device-alerts tbody tr").CountAsync());

        // The range's history as a file, through the export API.
        await page.SelectOptionAsync("#export-format", "csv");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download"));
        Assert.Equal("cam-1-24h.csv", download.SuggestedFilename);
        var rows = await File.ReadAllLinesAsync((await download.PathAsync())!);
        Assert.Equal("device_id,ts,kind,metric,value", rows[0]);
        Assert.Equal(6, rows.Count(r => r.Contains(",status,battery_level,", StringComparison.Ordinal)));
        Assert.Contains(rows, r => r.StartsWith("cam-1,", StringComparison.Ordinal) && r.Contains(",upload_stat,upload_time,2500000000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheAlertsPage_AcknowledgesAnAlert()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "Battery low", metric = "battery_level", @operator = "<", threshold = 20 }, tenant.Key);
        await StatusAsync(server, tenant, "tag-1", 5);
        for (var i = 0; i < 100 && (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/alerts", tenant.Key)).ReadJsonAsync()).GetArrayLength() == 0; i++)
            await Task.Delay(50);

        var page = await SignInAsync(server, tenant.Key);
        await page.WaitForSelectorAsync("#devices");
        await page.GotoAsync(new Uri(server.BaseAddress, "/ui/#/alerts").ToString());
        await page.WaitForSelectorAsync("#alerts button.ack");
        Assert.Contains("Battery low", await page.InnerTextAsync("#rules"));
        Assert.NotEqual("—", await page.InnerTextAsync("#rules td.last-fired"));
        await page.ClickAsync("#alerts button.ack");
        await page.WaitForFunctionAsync("() => document.querySelector('#alerts td.state')?.textContent === 'acknowledged'");

        // The device's own page lists it too.
        await page.GotoAsync(new Uri(server.BaseAddress, "/ui/#/device/tag-1").ToString());
        await page.WaitForSelectorAsync("#device-alerts tbody tr");
        Assert.Contains("acknowledged", await page.InnerTextAsync("#device-alerts"));
        // Its rule links to the alerts page, filtered to that rule.
        await page.ClickAsync("#device-alerts a:has-text('Battery low')");
        await page.WaitForSelectorAsync("#alerts tbody tr");
        Assert.Equal("Battery low", await page.EvalOnSelectorAsync<string>("#alert-rule", "s => s.selectedOptions[0].textContent"));
    }

    [Fact]
    public async Task TheAlertsPage_NamesAndLinksDevices_FiltersBySeverity_AndAcknowledgesManyAtOnce()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/devices",
            new { external_id = "pump-7", name = "Boiler room pump", tags = Array.Empty<string>() }, tenant.Key)).StatusCode);
        await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules",
            new { name = "Battery critical", metric = "battery_level", @operator = "<", threshold = 10, severity = "critical" }, tenant.Key);
        foreach (var device in new[] { "pump-7", "pump-8", "pump-9" }) await StatusAsync(server, tenant, device, 5);
        for (var i = 0; i < 100 && (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/alerts", tenant.Key)).ReadJsonAsync()).GetArrayLength() < 3; i++)
            await Task.Delay(50);

        var page = await SignInAsync(server, tenant.Key);
        await page.WaitForSelectorAsync("#devices");
        await page.GotoAsync(new Uri(server.BaseAddress, "/ui/#/alerts").ToString());
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#alerts tbody tr').length === 3");
        Assert.Contains("#/device/pump-9", await page.GetAttributeAsync("#alerts tbody tr:has-text('pump-9') td.device a", "href"));
        Assert.Equal("#/device/pump-7", await page.GetAttributeAsync("#alerts td.device a:has-text('Boiler room pump')", "href"));
        Assert.Equal("critical", await page.InnerTextAsync("#alerts tbody tr >> nth=0 >> .badge"));
        await page.SelectOptionAsync("#alert-severity", "info");
        await page.WaitForSelectorAsync("#alerts-empty", new PageWaitForSelectorOptions { State = WaitForSelectorState.Visible });
        await page.SelectOptionAsync("#alert-severity", "critical");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#alerts tbody tr').length === 3");

        await page.CheckAsync("#select-all");
        await page.ClickAsync("#ack-selected");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#alerts td.state')].every(c => c.textContent === 'acknowledged')");
        var states = (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/alerts", tenant.Key)).ReadJsonAsync()).EnumerateArray().Select(a => a.Str("state"));
        Assert.All(states, state => Assert.Equal("acknowledged", state));
    }
}
