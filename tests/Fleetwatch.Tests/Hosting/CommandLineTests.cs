using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Hosting;

/// <summary>The built executable, run as a newcomer runs it: a real process in an empty directory.</summary>
public sealed partial class CommandLineTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fleetwatch-cli-").FullName;

    [Fact]
    public async Task FirstStart_CreatesTheSqliteFile_AndPrintsAWorkingAdminKeyOnce()
    {
        var port = FreePort();
        string key;
        using (var server = Start($"--urls http://127.0.0.1:{port}"))
        {
            key = await ReadBootstrapKeyAsync(server);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilUpAsync(client);
            Assert.True(File.Exists(Path.Combine(_directory, "fleetwatch.db")));

            var created = await client.PostJsonAsync("/status",
                new { device_id = "cli", timestamp = "2024-06-14T10:00:00Z", battery_level = 50, rssi = -50, online = true }, key);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            await StopAsync(server);
        }

        // The second start prints no key: it is stored only as a hash.
        using (var again = Start($"--urls http://127.0.0.1:{port}"))
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilUpAsync(client);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/status/cli", key)).StatusCode);
            await StopAsync(again);
            Assert.DoesNotContain(key, await again.StandardOutput.ReadToEndAsync());
        }
    }

    [Fact]
    public async Task KeysCommand_CreatesListsAndRevokes()
    {
        var (code, output) = await RunAsync("keys create --role read --project fleet-a --name dashboard");
        Assert.Equal(0, code);
        var key = KeyPattern().Matches(output).Last().Value;
        var prefix = key[..8];

        (code, output) = await RunAsync("keys list");
        Assert.Equal(0, code);
        var line = output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.Contains("read", line);
        Assert.Contains("dashboard", line);
        Assert.DoesNotContain(key[9..], output);

        var port = FreePort();
        using (var server = Start($"--urls http://127.0.0.1:{port} --Auth:CacheSeconds 0"))
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilUpAsync(client);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/status/summary", key)).StatusCode);

            (code, _) = await RunAsync($"keys revoke {prefix}");
            Assert.Equal(0, code);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/status/summary", key)).StatusCode);
            await StopAsync(server);
        }
        (code, _) = await RunAsync($"keys revoke {prefix}");
        Assert.Equal(1, code);
        (code, _) = await RunAsync("keys create --role superuser");
        Assert.Equal(2, code);
    }

    [Fact]
    public async Task Sigterm_DrainsTheWriter_ExitsZero_AndLosesNothingAcknowledged()
    {
        var port = FreePort();
        using var server = Start($"--urls http://127.0.0.1:{port}", apiKey: "sigterm-admin-key-0123456789");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await WaitUntilUpAsync(client);

        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        var counter = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref counter);
                var timestamp = DateTime.UnixEpoch.AddSeconds(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                try
                {
                    var response = await client.PostJsonAsync("/status", new { device_id = "drain", timestamp, battery_level = 50, rssi = -50, online = true }, "sigterm-admin-key-0123456789");
                    if (response.StatusCode == HttpStatusCode.Created) acknowledged.Add(timestamp);
                }
                catch (HttpRequestException)
                {
                    return; // the server has stopped listening
                }
            }
        })).ToArray();

        await Task.Delay(1500);
        Process.Start("kill", $"-TERM {server.Id}").WaitForExit();
        Assert.True(server.WaitForExit(30_000), "the server exits after SIGTERM");
        Assert.Equal(0, server.ExitCode);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.True(acknowledged.Count > 50, $"traffic was flowing ({acknowledged.Count} acknowledged)");

        await using var again = await TestServer.StartAsync(Path.Combine(_directory, "fleetwatch.db"));
        var history = await (await again.Client.GetAsync("/status/drain/history?limit=1000&page_size=100", TestServer.AdminKey)).ReadJsonAsync();
        var total = history.Int("total_records");
        Assert.True(total >= acknowledged.Count, $"{acknowledged.Count} acknowledged, {total} stored");
        var stored = new HashSet<string>();
        for (var page = 1; page <= (total + 99) / 100; page++)
        {
            var body = await (await again.Client.GetAsync($"/status/drain/history?page={page}&page_size=100", TestServer.AdminKey)).ReadJsonAsync();
            foreach (var record in body.GetProperty("statuses").EnumerateArray()) stored.Add(record.Str("timestamp"));
        }
        var lost = acknowledged.Where(t => !stored.Contains(t)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged statuses are missing, e.g. {lost.FirstOrDefault()}");
    }

    [Fact]
    public async Task TheLogs_AreJsonLines_AndNeverContainAKey()
    {
        const string admin = "log-admin-key-0123456789";
        var port = FreePort();
        using var server = Start($"--urls http://127.0.0.1:{port}", apiKey: admin);
        var output = server.StandardOutput.ReadToEndAsync();
        var errors = server.StandardError.ReadToEndAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await WaitUntilUpAsync(client);

        var tenant = await Tenant.CreateAsync(admin, client);
        var device = await (await client.PostJsonAsync("/api/v1/devices", new { device_id = "logged" }, admin)).ReadJsonAsync();
        var deviceKey = device.GetProperty("data").Str("api_key");
        await client.PostJsonAsync("/api/v1/ingest", new { temperature = 20 }, deviceKey);
        await client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key);
        await client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key[..9] + "wrong-secret");
        using (var sse = new CancellationTokenSource(500))
        {
            try
            {
                await client.GetAsync($"/api/v1/stream/devices/logged?token={Uri.EscapeDataString(deviceKey)}", HttpCompletionOption.ResponseHeadersRead, sse.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await client.DeleteAsync($"/projects/{tenant.ProjectId}/api-keys/{tenant.Key[..8]}", admin);
        await client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key);

        Process.Start("kill", $"-TERM {server.Id}").WaitForExit();
        Assert.True(server.WaitForExit(30_000));
        var log = await output + await errors;
        foreach (var secret in new[] { admin, tenant.Key, tenant.Key[9..], deviceKey, deviceKey[9..] }) Assert.DoesNotContain(secret, log);
        var jsonLines = log.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(jsonLines);
        Assert.All(jsonLines, l => Assert.True(l.TryGetProperty("Category", out _) && l.TryGetProperty("LogLevel", out _)));
    }

    /// <summary>Load tests end, devices lose their link: a request abandoned half-sent is no error in the log.</summary>
    [Fact]
    public async Task AClientHangingUpMidRequest_IsNotLoggedAsAnError()
    {
        const string admin = "hangup-admin-key-0123456789";
        var port = FreePort();
        // Commits made slow, so a whole request is still waiting for its commit when its client goes.
        using var server = ServerProcess.StartDrained(_directory, $"--urls http://127.0.0.1:{port} --Ingest:SlowCommitMs 200", admin, out var output);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await ServerProcess.WaitUntilUpAsync(client, server, output);
        const string body = """{"device_id":"hangup","timestamp":"2024-06-14T10:00:00Z","battery_level":5,"rssi":-50,"online":true}""";
        for (var i = 0; i < 20; i++)
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync(IPAddress.Loopback, port);
            // Half the requests stop mid-body; the other half are whole and wait for their commit.
            var sent = i % 2 == 0 ? body[..20] : body;
            await socket.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                $"POST /status HTTP/1.1\r\nHost: x\r\nX-API-Key: {admin}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{sent}"));
            await Task.Delay(50);
            // A reset, not a polite close: as a killed load generator or a dropped radio link leaves it.
            socket.Client.LingerState = new LingerOption(true, 0);
        }
        await Task.Delay(500);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        await StopAsync(server);
        string log;
        lock (output) log = output.ToString();
        Assert.DoesNotContain("\"LogLevel\":\"Error\"", log);
        Assert.DoesNotContain("BadHttpRequestException", log);
    }

    [GeneratedRegex("[0-9a-f]{8}\\.[A-Za-z0-9_-]{43}")]
    private static partial Regex KeyPattern();

    private Process Start(string arguments, string? apiKey = null) => ServerProcess.Start(_directory, arguments, apiKey);

    private async Task<(int Code, string Output)> RunAsync(string arguments)
    {
        using var process = Start(arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output + await error);
    }

    private static async Task<string> ReadBootstrapKeyAsync(Process server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await server.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = KeyPattern().Match(line);
            if (match.Success) return match.Value;
        }
        throw new Xunit.Sdk.XunitException("The server printed no key");
    }

    private static Task WaitUntilUpAsync(HttpClient client) => ServerProcess.WaitUntilUpAsync(client);

    private static async Task StopAsync(Process server)
    {
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync();
    }

    private static int FreePort() => ServerProcess.FreePort();

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
