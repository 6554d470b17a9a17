using Fleetwatch.Hosting;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Hosting;

/// <summary>Every setting documented in one generated reference, listed by the CLI, and a misspelt one in a settings file reported.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fleetwatch-config-").FullName;

    [Fact]
    public async Task TheReferenceDocument_IsWhatConfigMarkdownGenerates()
    {
        var (code, output) = await RunAsync("config --markdown");
        Assert.Equal(0, code);
        var committed = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "configuration.md"));
        Assert.True(committed == output, "docs/configuration.md is out of date: run `fleetwatch config --markdown > docs/configuration.md`");
    }

    [Fact]
    public async Task ConfigList_NamesEverySetting_WithItsEnvironmentName_AndDefault()
    {
        var (code, output) = await RunAsync("config --list");
        Assert.Equal(0, code);
        Assert.NotEmpty(SettingsReference.All);
        foreach (var setting in SettingsReference.All)
        {
            Assert.Contains(setting.Option, output);
            Assert.Contains(setting.Environment, output);
            Assert.False(string.IsNullOrWhiteSpace(setting.Description));
        }
        Assert.Contains("--Ingest:QueueCapacity", output);
        Assert.Contains("FLEETWATCH_Ingest__QueueCapacity", output);
        Assert.Contains("default 20000", output);
    }

    [Fact]
    public async Task AMisspeltKeyInASettingsFile_IsReportedAtStart_WithTheNearestSetting()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "appsettings.json"), """{"Ingest":{"QueueCapacty":5,"EnqueueTimeoutMs":100},"Logging":{"LogLevel":{"Default":"Information"}}}""");
        var log = await ServerProcess.StartAndStopAsync(_directory, "", "config-admin-key-0123456789");
        var warning = Assert.Single(log.Split('\n'), l => l.Contains("\"EventId\":2005", StringComparison.Ordinal));
        Assert.Contains("Ingest:QueueCapacty is not a setting Fleetwatch reads", warning);
        Assert.Contains("nearest: Ingest:QueueCapacity", warning);
    }

    [Fact]
    public async Task LogFormat_ConsoleGivesReadableLines_AndAnUnknownFormatIsBadUsage()
    {
        var log = await ServerProcess.StartAndStopAsync(_directory, "--log-format console", "config-admin-key-0123456789");
        Assert.Contains("Storage: SQLite file", log);
        Assert.DoesNotContain("\"EventId\"", log);

        var (code, stderr) = await RunAsync("--log-format xml");
        Assert.Equal(2, code);
        Assert.Contains("--log-format: xml is not console or json", stderr);
    }

    private async Task<(int Code, string Output)> RunAsync(string arguments)
    {
        using var process = ServerProcess.Start(_directory, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
