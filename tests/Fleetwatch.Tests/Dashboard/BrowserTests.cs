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

    protected async Task<IPage> SignInAsync(TestServer server, string key, BrowserNewPageOptions? options = null)
    {
        var page = await Browser.NewPageAsync(options);
        await page.GotoAsync(new Uri(server.BaseAddress, "/ui/").ToString());
        await page.FillAsync("#api-key", key);
        await page.ClickAsync("#sign-in");
        return page;
    }
}
