using System.Net;
using Fleetwatch.Fleet;
using Fleetwatch.Simulator;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Simulator;

/// <summary><c>fleetwatch simulate</c> end to end: a real server started with its devices file, a real run against it.</summary>
public abstract class SimulatorTests(DatabaseBackend backend) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fleetwatch-sim-").FullName;

    private string PathOf(string name) => Path.Combine(_directory, name);

    protected static async Task<(int Code, string Output, string Errors)> SimulateAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await SimulateCommand.RunAsync(args, output, errors, interactive: false, CancellationToken.None);
        return (code, output.ToString(), errors.ToString());
    }

    [Fact]
    public async Task AFewHundredDevices_AllMatch_AndTheResultsFileHasEveryDevice()
    {
        var (code, output, errors) = await SimulateAsync("--new-devices", "300", "--devices", PathOf("devices.csv"));
        Assert.Equal(0, code);
        var ids = DevicesCsv.Read(PathOf("devices.csv"));
        Assert.Equal(300, ids.Count);

        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), "--devices", PathOf("devices.csv"));
        (code, output, errors) = await SimulateAsync("--devices", PathOf("devices.csv"), "--url", server.BaseAddress.ToString(),
            "--minutes", "90", "--seed", "42", "--results", PathOf("results.txt"));

        Assert.True(code == 0, output + errors);
        Assert.Contains("PASS: all 300 devices matched", output);
        Assert.Matches(@"Sent [\d,]+ requests \([\d,]+ heartbeats, [\d,]+ stats\) in [\d.]+ s: [\d,]+ requests/s", output);
        Assert.Contains("sending  [##############################] 100%", errors);

        var results = await File.ReadAllLinesAsync(PathOf("results.txt"));
        Assert.Equal(ids.Order(), results.Where(l => l.StartsWith("DeviceID: ", StringComparison.Ordinal)).Select(l => l["DeviceID: ".Length..]).Order());
        Assert.Equal(300, results.Count(l => l.StartsWith("    Uptime        Expected: ", StringComparison.Ordinal) && l.EndsWith('✓')));
        Assert.Equal(300, results.Count(l => l.StartsWith("    AvgUploadTime Expected: ", StringComparison.Ordinal) && l.EndsWith('✓')));
        Assert.Equal("PASS: all 300 devices matched.", results[^1]);

        // The simulator's figures are the server's: spot-check one device by hand.
        var first = results[1].Split("Actual: ")[1].Split(' ')[0];
        var stats = await (await server.Client.GetAsync($"/api/v1/devices/{results[0]["DeviceID: ".Length..]}/stats", key: null)).ReadJsonAsync();
        Assert.Equal(first, stats.GetProperty("uptime").GetDouble().ToString("F5", System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

public sealed class SqliteSimulatorTests() : SimulatorTests(new SqliteBackend())
{
    [Fact]
    public async Task ASecondRun_IsRefused_AndForcedItReportsMismatches_WithExitCode1()
    {
        var devices = Path.Combine(Directory.CreateTempSubdirectory("fleetwatch-sim-").FullName, "devices.csv");
        File.WriteAllText(devices, "device_id\nsim-a\nsim-b\nsim-c\n");
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync(), "--devices", devices);
        var results = Path.ChangeExtension(devices, ".txt");
        string[] run = ["--devices", devices, "--url", server.BaseAddress.ToString(), "--minutes", "30", "--results", results];

        Assert.Equal(0, (await SimulateAsync([.. run, "--seed", "1"])).Code);
        var (code, _, errors) = await SimulateAsync(run);
        Assert.Equal(3, code);
        Assert.Contains("already have heartbeats or stats", errors);

        (code, var output, _) = await SimulateAsync([.. run, "--seed", "2", "--force"]);
        Assert.Equal(1, code);
        Assert.Matches("FAIL: [1-3] of 3 devices did not match", output);
        Assert.Contains("✗ MISMATCH", await File.ReadAllTextAsync(results));
    }

    [Fact]
    public async Task UnknownDevicesAndBadOptions_StopBeforeSendingAnything()
    {
        var devices = Path.Combine(Directory.CreateTempSubdirectory("fleetwatch-sim-").FullName, "devices.csv");
        File.WriteAllText(devices, "device_id\nknown\n");
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync(), "--devices", devices);
        var other = Path.ChangeExtension(devices, ".other.csv");
        File.WriteAllText(other, "device_id\nknown\nnot-registered\n");

        var (code, _, errors) = await SimulateAsync("--devices", other, "--url", server.BaseAddress.ToString(), "--minutes", "5");
        Assert.Equal(3, code);
        Assert.Contains("1 devices are not registered on the server (first: not-registered)", errors);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.GetAsync("/api/v1/devices/known/stats", key: null)).StatusCode);

        (code, _, errors) = await SimulateAsync("--devices", other, "--minutes", "0");
        Assert.Equal(2, code);
        Assert.Contains("--minutes must be a whole number", errors);
        (code, _, errors) = await SimulateAsync("--new-devices", "2", "--devices", other);
        Assert.Equal(2, code);
        Assert.Contains("exists; pass --force", errors);
        (code, _, _) = await SimulateAsync("--devices", other, "--url", "http://127.0.0.1:1", "--minutes", "5");
        Assert.Equal(3, code);
    }
}

public sealed class PostgresSimulatorTests() : SimulatorTests(new PostgresBackend());
