using Fleetwatch.Tests.Fixtures;
using Microsoft.Playwright;

namespace Fleetwatch.Tests.Dashboard;

/// <summary>Tests that drive the dashboard in headless Chromium (Debian's, installed by test.sh): one browser per test class.</summary>
public abstract class BrowserTests : IAsyncLifetime
{
    private IPlaywright _playwright = null!;

    protected IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }

    /// <summary>Where a page's screenshot is kept: test.sh's artefacts directory (FLEETWATCH_ARTIFACTS), else the temp directory.</summary>
    protected static string Screenshot(string name)
    {
        var directory = Environment.GetEnvironmentVariable("FLEETWATCH_ARTIFACTS") is { Length: > 0 } kept ? Path.Combine(kept, "screenshots") : Path.GetTempPath();
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, $"fleetwatch-{name}.png");
    }

    protected async Task<IPage> SignInAsync(TestServer server, string key, BrowserNewPageOptions? options = null)
    {
        var page = await Browser.NewPageAsync(options);
        await page.GotoAsync(new Uri(server.BaseAddress, "/ui/").ToString());
        await page.FillAsync("#api-key", key);
        await page.ClickAsync("#sign-in");
        return page;
    }
}
