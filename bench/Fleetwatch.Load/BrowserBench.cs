using System.Globalization;
using Microsoft.Playwright;

namespace Fleetwatch.Load;

/// <summary>
/// The dashboard as an operator meets it, timed inside headless Chromium (Debian's): from pressing "Sign in" to the
/// fleet page's first rows and counts, a search answered in the table, and a device's chart switched to 90 days.
/// Each figure is the median of several rounds, measured with the page's own performance.now().
/// </summary>
public static class BrowserBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var device = options.Values.GetValueOrDefault("device") ?? throw new ArgumentException("--device: a device with 90 days of readings");
        var rounds = (int)options.Long("rounds", 5);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var fleet = new List<double>();
        var search = new List<double>();
        var chart = new List<double>();
        var devices = "";
        for (var round = 0; round < rounds; round++)
        {
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
            await page.GotoAsync(new Uri(options.Url, "ui/").ToString());
            await page.FillAsync("#api-key", options.Key);
            var started = await NowAsync(page);
            await page.ClickAsync("#sign-in");
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#devices tbody tr').length > 0 && document.querySelector('#count-total')?.textContent !== ''");
            fleet.Add(await NowAsync(page) - started);
            devices = await page.InnerTextAsync("#count-total");

            started = await NowAsync(page);
            await page.FillAsync("#search", "dev-42");
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#devices tbody tr')].every(r => r.dataset.device.includes('dev-42'))");
            search.Add(await NowAsync(page) - started);

            await page.GotoAsync(new Uri(options.Url, $"ui/#/device/{Uri.EscapeDataString(device)}").ToString());
            // The default range (24 h) may hold nothing of a device whose readings end days ago.
            await page.WaitForSelectorAsync("#chart .metric-chart canvas, #no-data");
            started = await NowAsync(page);
            await page.SelectOptionAsync("#range", "90d");
            // Drawn once every chart starts about 90 days back.
            await page.WaitForFunctionAsync("() => { const c = [...document.querySelectorAll('#chart .metric-chart')]; " +
                "return c.length > 0 && c.every(x => Number(x.dataset.from) < Date.now() / 1000 - 80 * 86400); }");
            chart.Add(await NowAsync(page) - started);
            await page.CloseAsync();
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"browser_fleet_devices {devices.Replace(",", "", StringComparison.Ordinal)}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"browser_fleet_ms {Median(fleet):F0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"browser_search_ms {Median(search):F0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"browser_chart_90d_ms {Median(chart):F0}"));
        return 0;
    }

    private static Task<double> NowAsync(IPage page) => page.EvaluateAsync<double>("() => performance.now()");

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
