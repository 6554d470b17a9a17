using System.Net;
using Fleetwatch.Tests.Fixtures;
using Microsoft.Playwright;

namespace Fleetwatch.Tests.Dashboard;

/// <summary>Managing a project without curl: rules, devices, keys and webhooks in the dashboard, then checked through the API.</summary>
public sealed class ManageTests : BrowserTests
{
    private static async Task<System.Text.Json.JsonElement> GetAsync(TestServer server, string path, string key) =>
        await (await server.Client.GetAsync(path, key)).ReadJsonAsync();

    private async Task<IPage> OpenAsync(TestServer server, string key, string page)
    {
        var browserPage = await SignInAsync(server, key);
        await browserPage.WaitForSelectorAsync("#devices");
        await browserPage.ClickAsync($"nav a[href='#/{page}']");
        return browserPage;
    }

    [Fact]
    public async Task ARuleMadeInTheUi_PreviewsItsScope_RaisesAnAlertThatArrivesLive_AndIsAcknowledged()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        await tenant.AddDeviceAsync(server, "roof-1", "roof");
        await tenant.AddDeviceAsync(server, "roof-2", "roof");
        await tenant.AddDeviceAsync(server, "yard-1");
        var page = await OpenAsync(server, tenant.Key, "rules");
        await page.WaitForSelectorAsync("#rules-empty", new() { State = WaitForSelectorState.Visible });

        await page.FillAsync("#rule-name", "Roof battery");
        await page.FillAsync("#rule-metric", "battery_level");
        await page.SelectOptionAsync("#rule-operator", "<");
        await page.SelectOptionAsync("#rule-severity", "critical");
        // The preview counts what the scope matches as it is chosen.
        Assert.Equal("3", await page.GetAttributeAsync("#scope-preview", "data-count"));
        await page.SelectOptionAsync("#rule-scope", "EXPLICIT");
        Assert.Equal("0", await page.GetAttributeAsync("#scope-preview", "data-count"));
        await page.CheckAsync("#rule-devices input >> nth=2");
        Assert.Equal("1", await page.GetAttributeAsync("#scope-preview", "data-count"));
        await page.SelectOptionAsync("#rule-scope", "TAG");
        await page.SelectOptionAsync("#rule-tag", "roof");
        Assert.Equal("Matches 2 of 3 devices now.", await page.InnerTextAsync("#scope-preview"));

        // Without a threshold the server refuses, and the form says which field and why.
        await page.ClickAsync("#rule-save");
        await page.WaitForFunctionAsync("() => document.querySelector('#rule-error').textContent.includes('threshold')");
        await page.FillAsync("#rule-threshold", "20");
        await page.ClickAsync("#rule-save");
        await page.WaitForSelectorAsync("#rule-list tbody tr");
        await page.ScreenshotAsync(new() { Path = Screenshot("rules"), FullPage = true });
        var rule = (await GetAsync(server, $"/projects/{tenant.ProjectId}/rules", tenant.Key))[0];
        Assert.Equal(("TAG", "roof", "battery_level", 20.0, "critical"), (rule.Str("scope"), rule.Str("tag"), rule.Str("metric"), rule.GetProperty("threshold").GetDouble(), rule.Str("severity")));

        // Readings through the API; the alerts page shows the alert without a reload, and acknowledges it.
        await page.ClickAsync("nav a[href='#/alerts']");
        await page.WaitForSelectorAsync("#alerts-empty", new() { State = WaitForSelectorState.Visible });
        await Task.Delay(300); // the stream is open once the page has drawn
        await DashboardTests.StatusAsync(server, tenant, "yard-1", 5);
        await DashboardTests.StatusAsync(server, tenant, "roof-2", 5);
        await page.WaitForSelectorAsync("#alerts tbody tr:has-text('roof-2') button.ack");
        Assert.Equal(1, await page.Locator("#alerts tbody tr").CountAsync()); // yard-1 has no roof tag
        await page.ClickAsync("#alerts button.ack");
        await page.WaitForFunctionAsync("() => document.querySelector('#alerts td.state')?.textContent === 'acknowledged'");

        // Disable, rename and delete it from its row.
        await page.ClickAsync("nav a[href='#/rules']");
        await page.UncheckAsync("#rule-list input.toggle");
        await WaitForAsync(async () => !(await GetAsync(server, $"/rules/{rule.Long("id")}", tenant.Key)).GetProperty("enabled").GetBoolean());
        await page.ClickAsync("#rule-list button.edit");
        Assert.Equal("roof", await page.InputValueAsync("#rule-tag"));
        await page.FillAsync("#rule-name", "Roof battery low");
        await page.ClickAsync("#rule-save");
        await page.WaitForSelectorAsync("#rule-list td:text-is('Roof battery low')");
        Assert.Equal("TAG", (await GetAsync(server, $"/rules/{rule.Long("id")}", tenant.Key)).Str("scope"));
        await page.ClickAsync("#rule-list button.delete");
        await page.ClickAsync("#rule-list button.delete");
        await page.WaitForSelectorAsync("#rules-empty", new() { State = WaitForSelectorState.Visible });
        Assert.Equal(0, (await GetAsync(server, $"/projects/{tenant.ProjectId}/rules", tenant.Key)).GetArrayLength());
    }

    [Fact]
    public async Task Devices_AreRegisteredRetaggedGivenATimeoutAndDeleted_InTheUi()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        var page = await OpenAsync(server, tenant.Key, "devices");
        await page.WaitForSelectorAsync("#devices-empty", new() { State = WaitForSelectorState.Visible });
        await page.FillAsync("#device-external-id", "pump-1");
        await page.FillAsync("#device-name", "Boiler pump");
        await page.FillAsync("#device-tags", "basement, north");
        await page.ClickAsync("#device-save");
        var row = "#device-list tr[data-device='pump-1']";
        await page.WaitForSelectorAsync(row);
        var device = (await GetAsync(server, $"/projects/{tenant.ProjectId}/devices", tenant.Key))[0];
        Assert.Equal(["basement", "north"], device.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        await page.FillAsync($"{row} input.tags", "roof");
        await page.ClickAsync($"{row} button.save-tags");
        await page.WaitForSelectorAsync($"{row} .saved:text-is('Saved')");
        await WaitForAsync(async () => (await GetAsync(server, $"/projects/{tenant.ProjectId}/devices/{device.Long("id")}", tenant.Key)).GetProperty("tags")[0].GetString() == "roof");
        await page.FillAsync($"{row} input.timeout", "120");
        await page.ClickAsync($"{row} button.save-timeout");
        await page.WaitForSelectorAsync($"{row} .saved:text-is('Saved')");
        await WaitForAsync(async () => (await GetAsync(server, $"/projects/{tenant.ProjectId}/devices/{device.Long("id")}/connectivity", tenant.Key)).Str("timeout_from") == "device");
        Assert.Equal(120, (await GetAsync(server, $"/projects/{tenant.ProjectId}/devices/{device.Long("id")}/connectivity", tenant.Key)).Int("inactivity_timeout_seconds"));
        // A bad value is refused inline, naming the field.
        await page.FillAsync($"{row} input.timeout", "0");
        await page.ClickAsync($"{row} button.save-timeout");
        await page.WaitForFunctionAsync("r => document.querySelector(r + ' .error').textContent.includes('inactivity_timeout_seconds')", row);
        await page.ScreenshotAsync(new() { Path = Screenshot("devices"), FullPage = true });

        await page.ClickAsync($"{row} button.delete");
        await page.ClickAsync($"{row} button.delete");
        await page.WaitForSelectorAsync("#devices-empty", new() { State = WaitForSelectorState.Visible });
        Assert.Equal(0, (await GetAsync(server, $"/projects/{tenant.ProjectId}/devices", tenant.Key)).GetArrayLength());
    }

    [Fact]
    public async Task AKeyMadeInTheUi_IsShownOnce_Works_AndIsRevoked()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        var page = await OpenAsync(server, tenant.Key, "keys");
        await page.WaitForSelectorAsync("#key-list tbody tr");
        Assert.Equal("this session's key", await page.InnerTextAsync("#key-list tbody tr >> nth=0 >> td >> nth=6"));
        await page.FillAsync("#key-name", "wall display");
        await page.SelectOptionAsync("#key-role", "read");
        await page.ClickAsync("#key-save");
        var key = await (await page.WaitForSelectorAsync("#new-key"))!.InnerTextAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/devices", key)).StatusCode);
        await page.ClickAsync("#copy-key");
        await page.WaitForFunctionAsync("() => document.querySelector('#key-copied').textContent !== ''");
        var prefix = key.Split('.')[0];
        await page.WaitForSelectorAsync($"#key-list tr[data-key='{prefix}']");
        Assert.DoesNotContain(key, await page.InnerTextAsync("#key-list"));
        await page.ScreenshotAsync(new() { Path = Screenshot("keys"), FullPage = true });

        // Shown once: back on the page, only its prefix is left.
        await page.ClickAsync("nav a[href='#/alerts']");
        await page.ClickAsync("nav a[href='#/keys']");
        await page.WaitForSelectorAsync($"#key-list tr[data-key='{prefix}']");
        Assert.False(await page.IsVisibleAsync("#key-created"));
        await page.ClickAsync($"#key-list tr[data-key='{prefix}'] button.revoke");
        await page.ClickAsync($"#key-list tr[data-key='{prefix}'] button.revoke");
        await page.WaitForFunctionAsync("p => document.querySelector(`#key-list tr[data-key='${p}'] .state`).textContent.startsWith('revoked')", prefix);
        // A revoked key is refused like a wrong one (403, the platform's code).
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/devices", key)).StatusCode);
    }

    [Fact]
    public async Task AWebhookMadeInTheUi_IsTestedDisabledAndItsDeliveriesAndAttemptsShown()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync(), "--Webhooks:PollMilliseconds", "100");
        var tenant = await Tenant.CreateAsync(server);
        await tenant.AddDeviceAsync(server, "boiler");
        await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "hot", metric = "temperature", threshold = 80, cooldown_seconds = 0 }, tenant.Key);
        var page = await OpenAsync(server, tenant.Key, "webhooks");
        await page.WaitForSelectorAsync("#webhooks-empty", new() { State = WaitForSelectorState.Visible });
        await page.FillAsync("#webhook-url", receiver.Url);
        await page.FillAsync("#webhook-secret", "s3cret");
        await page.ClickAsync("#webhook-save");
        await page.WaitForSelectorAsync("#webhook-list tbody tr");
        Assert.Equal("yes", await page.InnerTextAsync("#webhook-list tbody td >> nth=1"));
        Assert.Equal("closed", await page.InnerTextAsync("#webhook-list td.circuit"));

        await page.ClickAsync("#webhook-list button.test");
        await page.WaitForFunctionAsync("() => document.querySelector('.test-result').textContent.startsWith('Delivered: 200')");
        Assert.Equal("test", Assert.Single(await receiver.WaitForAsync(1)).Headers["X-Telemetry-Delivery"]);

        // An alert is delivered; its delivery and attempts are listed.
        await server.Client.PostJsonAsync("/telemetry", new { device_external_id = "boiler", events = new[] { new { ts = DateTime.UtcNow.ToString("O"), data = new { temperature = 95 } } } }, tenant.Key);
        System.Text.Json.JsonElement log = default;
        for (var i = 0; i < 100 && !(log.ValueKind == System.Text.Json.JsonValueKind.Array && log.GetArrayLength() == 1 && log[0].Str("status") == "success"); i++)
        {
            await Task.Delay(50);
            log = await GetAsync(server, $"/projects/{tenant.ProjectId}/webhook-deliveries", tenant.Key);
        }
        Assert.True(log.GetArrayLength() == 1 && log[0].Str("status") == "success", log.ToString());
        await page.ClickAsync("nav a[href='#/alerts']");
        await page.ClickAsync("nav a[href='#/webhooks']");
        await page.WaitForSelectorAsync("#delivery-list tr.delivery.success");
        await page.ClickAsync("#delivery-list button.show-attempts");
        await page.WaitForSelectorAsync("#delivery-list tr.attempts li");
        Assert.Contains("success, 200", await page.InnerTextAsync("#delivery-list tr.attempts li"));
        await page.ScreenshotAsync(new() { Path = Screenshot("webhooks"), FullPage = true });

        await page.ClickAsync("#webhook-list button.toggle");
        await page.WaitForFunctionAsync("() => document.querySelector('#webhook-list td.state').textContent === 'disabled'");
        Assert.False((await GetAsync(server, $"/projects/{tenant.ProjectId}/webhooks", tenant.Key))[0].GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task TheProjectPage_SetsRetentionAndTimeout_ExportsTheProject_AndImportsAFileTwiceHarmlessly()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        await DashboardTests.StatusAsync(server, tenant, "mast-1", 64, secondsAgo: 600);
        var page = await OpenAsync(server, tenant.Key, "project");
        await page.WaitForSelectorAsync("#retention-form");
        Assert.Equal("default: forever", await page.GetAttributeAsync("#retention-raw", "placeholder"));
        Assert.Equal("default: 300", await page.GetAttributeAsync("#project-timeout", "placeholder"));

        // A rollup kept shorter than raw events is refused, naming the field; then a sane pair is saved.
        await page.FillAsync("#retention-raw", "30");
        await page.FillAsync("#retention-rollup", "7");
        await page.ClickAsync("#retention-save");
        await page.WaitForSelectorAsync("#retention-error:has-text('rollup_days')");
        await page.FillAsync("#retention-rollup", "365");
        await page.FillAsync("#project-timeout", "120");
        await page.ClickAsync("#retention-save");
        await page.WaitForSelectorAsync("#retention-saved:has-text('Saved')");
        var retention = await GetAsync(server, $"/projects/{tenant.ProjectId}/retention", tenant.Key);
        Assert.Equal((30, 365), (retention.GetProperty("raw_days").GetInt32(), retention.GetProperty("rollup_days").GetInt32()));
        Assert.Equal(120, (await GetAsync(server, $"/projects/{tenant.ProjectId}/connectivity", tenant.Key)).GetProperty("inactivity_timeout_seconds").GetInt32());

        await page.SelectOptionAsync("#project-export-format", "ndjson");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#project-export"));
        Assert.Equal($"project-{tenant.ProjectId}.ndjson", download.SuggestedFilename);
        var exported = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("\"battery_level\":64", exported);

        // Another device's history, from a file; the second import finds it all stored.
        var file = Path.Combine(Path.GetTempPath(), $"fleetwatch-import-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllTextAsync(file, exported.Replace("mast-1", "mast-2", StringComparison.Ordinal));
        try
        {
            await page.SetInputFilesAsync("#import-file", file);
            await page.ClickAsync("#import-save");
            await page.WaitForSelectorAsync("#import-report:has-text('1 imported, 0 already stored, 0 rejected')");
            await page.ClickAsync("#import-save");
            await page.WaitForSelectorAsync("#import-report:has-text('0 imported, 1 already stored, 0 rejected')");
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/status/mast-2", tenant.Key)).StatusCode);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("project"), FullPage = true });
    }

    [Fact]
    public async Task AServerAdministrator_SwitchesProjects_AndAReadKeySeesNoManagement()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        await DashboardTests.StatusAsync(server, tenant, "far-away-1", 70);
        var page = await SignInAsync(server, TestServer.AdminKey);
        await page.WaitForSelectorAsync("#devices");
        Assert.Equal(0, await page.Locator("#devices tr[data-device='far-away-1']").CountAsync());
        await page.SelectOptionAsync("#project", tenant.ProjectId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.WaitForSelectorAsync("#devices tr[data-device='far-away-1']");
        // The device page of another project's device works too (the project goes with each request).
        await page.ClickAsync("a[href='#/device/far-away-1']");
        await page.WaitForSelectorAsync("#chart .metric-chart[data-metric='battery_level']");
        // And its stream: a new status shows on the fleet page of that project.
        await page.ClickAsync("nav a[href='#/fleet']");
        await page.WaitForSelectorAsync("#devices tr[data-device='far-away-1']");
        await Task.Delay(300);
        await DashboardTests.StatusAsync(server, tenant, "far-away-1", 33);
        await page.WaitForFunctionAsync("() => document.querySelector(\"tr[data-device='far-away-1'] .battery\")?.textContent === '33'");

        var reader = await server.NewKeyAsync(tenant.ProjectId, Fleetwatch.Auth.KeyRole.Read);
        var readerPage = await SignInAsync(server, reader);
        await readerPage.WaitForSelectorAsync("#devices");
        Assert.False(await readerPage.IsVisibleAsync("nav a[href='#/rules']"));
        Assert.False(await readerPage.IsVisibleAsync("#project"));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail("the change did not reach the API in 5 s");
    }
}
