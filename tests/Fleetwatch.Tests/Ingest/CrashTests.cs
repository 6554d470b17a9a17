using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Ingest;

/// <summary>
/// A 2xx means committed and synced: the server is killed with SIGKILL, again and again, while clients post statuses
/// and batches as fast as they can; afterwards every write it acknowledged is in the store (CONTRACTS.md, "What a 2xx
/// means"). Unacknowledged writes may or may not be there.
/// </summary>
public abstract class CrashTests(DatabaseBackend backend) : IDisposable
{
    private const string AdminKey = "crash-admin-key-0123456789";
    private const int Kills = 5;
    private readonly string _directory = Directory.CreateTempSubdirectory("fleetwatch-crash-").FullName;

    [Fact]
    public async Task KilledUnderLoad_ManyTimes_LosesNothingAcknowledged()
    {
        var database = await backend.CreateDatabaseAsync();
        var statuses = new ConcurrentBag<string>();
        var readings = new ConcurrentBag<string>();
        var counter = 0;
        for (var kill = 0; kill < Kills; kill++)
        {
            var port = ServerProcess.FreePort();
            using var server = ServerProcess.StartDrained(_directory, $"--db \"{database}\" --urls http://127.0.0.1:{port} --RateLimits:Enabled false", AdminKey, out var output);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            await ServerProcess.WaitUntilUpAsync(client, server, output);

            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 12).Select(worker => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var n = Interlocked.Increment(ref counter);
                    var at = DateTime.UnixEpoch.AddSeconds(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                    try
                    {
                        // Two kinds of write: single statuses (small commits) and telemetry batches of 50 (larger ones).
                        if (worker % 3 == 0)
                        {
                            var events = Enumerable.Range(0, 50).Select(i => new { ts = n * 100L + i, data = new { seq = n * 100L + i } }).ToArray();
                            var response = await client.PostJsonAsync("/telemetry", new { device_external_id = "crash-batch", events }, AdminKey);
                            if (response.StatusCode == HttpStatusCode.Accepted) foreach (var e in events) readings.Add(e.ts.ToString(CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            var response = await client.PostJsonAsync("/status", new { device_id = $"crash-{n % 20}", timestamp = at, battery_level = 50, rssi = -50, online = true }, AdminKey);
                            if (response.StatusCode == HttpStatusCode.Created) statuses.Add($"crash-{n % 20} {at}");
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        return; // killed
                    }
                }
            })).ToArray();
            // The batch device exists before the load: statuses create their devices, telemetry needs one.
            if (kill == 0) await client.PostJsonAsync("/status", new { device_id = "crash-batch", timestamp = "2000-01-01T00:00:00Z", battery_level = 1, rssi = 0, online = true }, AdminKey);

            await Task.Delay(400 + Random.Shared.Next(800));
            Process.Start("kill", $"-KILL {server.Id}").WaitForExit();
            await server.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }
        Assert.True(statuses.Count > 100 && readings.Count > 100, $"traffic was flowing ({statuses.Count} statuses, {readings.Count} readings acknowledged)");

        await using var after = await TestServer.StartAsync(database);
        var storedStatuses = new HashSet<string>();
        for (var device = 0; device < 20; device++)
        {
            var url = $"/api/v1/devices/crash-{device}/history?start=1970-01-01T00:00:00Z&end=2100-01-01T00:00:00Z&limit=10000";
            foreach (var reading in (await (await after.Client.GetAsync(url, TestServer.AdminKey)).ReadJsonAsync()).GetProperty("data").EnumerateArray())
                storedStatuses.Add($"crash-{device} {reading.Str("timestamp")}");
        }
        var storedReadings = new HashSet<string>();
        string? next = "/api/v1/devices/crash-batch/history?start=1970-01-01T00:00:00Z&end=2100-01-01T00:00:00Z&limit=10000";
        while (next is not null)
        {
            var response = await after.Client.GetAsync(next, TestServer.AdminKey);
            foreach (var reading in (await response.ReadJsonAsync()).GetProperty("data").EnumerateArray())
                if (reading.GetProperty("metrics").TryGetProperty("seq", out var seq)) storedReadings.Add(seq.GetInt64().ToString(CultureInfo.InvariantCulture));
            next = response.Headers.TryGetValues("Link", out var links) ? links.Single()[1..links.Single().IndexOf('>')] : null;
        }
        var lostStatuses = statuses.Where(s => !storedStatuses.Contains(s)).ToList();
        var lostReadings = readings.Where(r => !storedReadings.Contains(r)).ToList();
        Assert.True(lostStatuses.Count == 0 && lostReadings.Count == 0,
            $"after {Kills} kills: {lostStatuses.Count} of {statuses.Count} acknowledged statuses and {lostReadings.Count} of {readings.Count} readings are missing");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

public sealed class SqliteCrashTests() : CrashTests(new SqliteBackend());

public sealed class PostgresCrashTests() : CrashTests(new PostgresBackend());
