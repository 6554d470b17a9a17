using Fleetwatch.Tests.Fixtures;
using Microsoft.Playwright;

namespace Fleetwatch.Tests.Dashboard;

/// <summary>
/// Every page of the dashboard, with data on it, checked by axe-core (npm, pinned, installed by test.sh) against WCAG 2
/// A and AA: contrast, labels, names of buttons and links, structure.
/// </summary>
public sealed class AccessibilityTests : BrowserTests
{
    private static string Axe() =>
        Environment.GetEnvironmentVariable("FLEETWATCH_AXE") is { Length: > 0 } installed
            ? installed
            : throw new InvalidOperationException("FLEETWATCH_AXE is not set: run the tests with ./test.sh, which installs axe-core");

    [Fact]
    public async Task EveryPage_PassesWcag2AA()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var tenant = await Tenant.CreateAsync(server);
        await tenant.AddDeviceAsync(server, "pump-1", "basement");
        await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "Battery low", metric = "battery_level", @operator = "<", threshold = 20 }, tenant.Key);
        await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/webhooks", new { url = receiver.Url }, tenant.Key);
        for (var i = 0; i < 3; i++) await DashboardTests.StatusAsync(server, tenant, "pump-1", 10 + i, secondsAgo: 600 * i);

        // The sign-in page first, then each page signed in.
        // The dashboard's Content-Security-Policy refuses injected scripts, axe's too: this browser context ignores it.
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BypassCSP = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "/ui/").ToString());
        await page.WaitForSelectorAsync("#api-key");
        await page.ScreenshotAsync(new() { Path = Screenshot("page-sign-in"), FullPage = true });
        var violations = new List<string>(await ViolationsAsync(page, "sign-in"));
        await page.FillAsync("#api-key", tenant.Key);
        await page.ClickAsync("#sign-in");
        (string Hash, string Ready)[] pages =
        [
            ("#/fleet", "#devices tbody tr"), ("#/device/pump-1", "#chart .metric-chart canvas"), ("#/alerts", "#alerts tbody tr"),
            ("#/rules", "#rule-list tbody tr"), ("#/devices", "#device-list tbody tr"), ("#/keys", "#key-list tbody tr"), ("#/webhooks", "#webhook-list tbody tr"), ("#/project", "#retention-form"),
        ];
        foreach (var (hash, ready) in pages)
        {
            await page.GotoAsync(new Uri(server.BaseAddress, "/ui/" + hash).ToString());
            await page.WaitForSelectorAsync(ready);
            // Each page as it looks with data on it, kept with the test results.
            await page.ScreenshotAsync(new() { Path = Screenshot("page-" + hash.Split('/')[1]), FullPage = true });
            violations.AddRange(await ViolationsAsync(page, hash));
        }
        Assert.True(violations.Count == 0, string.Join('\n', violations));
    }

    private static async Task<IEnumerable<string>> ViolationsAsync(IPage page, string name)
    {
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = Axe() });
        var found = await page.EvaluateAsync<string[]>("""
            async () => (await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })).violations
              .flatMap(v => v.nodes.map(n => `${v.id}: ${n.target.join(" ")} — ${n.failureSummary.replace(/\s+/g, " ")}`))
            """);
        return found.Select(v => $"{name}: {v}");
    }
}
