using System.Net;
using Fleetwatch.Fleet;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Fleet;

/// <summary>The original simulator's mode: a devices file at start, no keys, and state that survives restarts.</summary>
public abstract class FleetAnonymousTests(DatabaseBackend backend)
{
    private static string DevicesFile(string contents)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("fleetwatch-csv-").FullName, "devices.csv");
        File.WriteAllText(path, contents);
        return path;
    }

    [Fact]
    public async Task ADevicesFile_RegistersDevices_AndAcceptsKeylessReports_AcrossRestarts()
    {
        var csv = DevicesFile("\uFEFFdevice_id\r\n60-6b-44-84-dc-64\r\n\r\nb4-45-52-a2-f1-3c\r\n60-6b-44-84-dc-64\r\n");
        var database = await backend.CreateDatabaseAsync();
        await using (var server = await TestServer.StartAsync(database, "--devices", csv))
        {
            var client = server.Client;
            foreach (var minute in new[] { 0, 1, 2, 4 })
            {
                var response = await client.PostJsonAsync("/api/v1/devices/60-6b-44-84-dc-64/heartbeat",
                    new { sent_at = $"2024-06-14T10:0{minute}:00Z" }, key: null);
                Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            }
            await client.PostJsonAsync("/api/v1/devices/60-6b-44-84-dc-64/stats", new { sent_at = "2024-06-14T10:00:00Z", upload_time = 3_000_000_000L }, key: null);
            await (await client.PostJsonAsync("/api/v1/devices/not-in-file/heartbeat", new { sent_at = "2024-06-14T10:00:00Z" }, key: null)).ProblemAsync(404);
            Assert.Equal(HttpStatusCode.NoContent, (await client.GetAsync("/api/v1/devices/b4-45-52-a2-f1-3c/stats", key: null)).StatusCode);
        }

        // Same file again: harmless. Uptime and the average are rebuilt from the store.
        await using var again = await TestServer.StartAsync(database, "--devices", csv);
        var stats = await (await again.Client.GetAsync("/api/v1/devices/60-6b-44-84-dc-64/stats", key: null)).ReadJsonAsync();
        Assert.Equal(100.0, stats.GetProperty("uptime").GetDouble());
        Assert.Equal("3s", stats.Str("avg_upload_time"));
        var devices = await (await again.Client.GetAsync("/debug/devices", TestServer.AdminKey)).ReadJsonAsync();
        Assert.Equal(["60-6b-44-84-dc-64", "b4-45-52-a2-f1-3c"], devices.EnumerateArray().Select(d => d.Str("device_id")).Where(d => d.Contains('-') && d.Length == 17));

        // Heartbeats are events of the device like any other: the status API sees the device too.
        Assert.Equal(HttpStatusCode.OK, (await again.Client.GetAsync("/status/60-6b-44-84-dc-64/history", TestServer.AdminKey)).StatusCode);
    }

    [Fact]
    public async Task AMalformedDevicesFile_StopsStartUp_NamingTheLine()
    {
        var csv = DevicesFile("device_id\nok-1\nbad,line\n");
        var error = await Assert.ThrowsAsync<DevicesCsvException>(async () => await TestServer.StartAsync(await backend.CreateDatabaseAsync(), "--devices", csv));
        Assert.Contains("line 3", error.Message);

        error = await Assert.ThrowsAsync<DevicesCsvException>(async () => await TestServer.StartAsync(await backend.CreateDatabaseAsync(), "--devices", DevicesFile("id\nx\n")));
        Assert.Contains("line 1", error.Message);
    }
}

public sealed class SqliteFleetAnonymousTests() : FleetAnonymousTests(new SqliteBackend());

public sealed class PostgresFleetAnonymousTests() : FleetAnonymousTests(new PostgresBackend());
