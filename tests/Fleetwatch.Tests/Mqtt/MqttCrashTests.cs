using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Fleetwatch.Tests.Fixtures;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleetwatch.Tests.Mqtt;

/// <summary>
/// A PUBACK means committed and synced, as a 2xx does: the server is killed with SIGKILL while MQTT clients publish
/// QoS 1 messages, several in flight per connection; afterwards every message it acknowledged is in the store.
/// </summary>
public abstract class MqttCrashTests(DatabaseBackend backend) : IDisposable
{
    private const string AdminKey = "mqtt-crash-admin-key-0123456789";
    private const int Kills = 3, Clients = 6, InFlightPerClient = 4;
    private readonly string _directory = Directory.CreateTempSubdirectory("fleetwatch-mqtt-crash-").FullName;

    [Fact]
    public async Task KilledRightAfterPubacks_LosesNothingAcknowledged()
    {
        var database = await backend.CreateDatabaseAsync();
        var acknowledged = new ConcurrentBag<(int Client, long Seq)>();
        long counter = 0;
        for (var kill = 0; kill < Kills; kill++)
        {
            var port = ServerProcess.FreePort();
            var mqttPort = ServerProcess.FreePort();
            using var server = ServerProcess.StartDrained(_directory,
                $"--db \"{database}\" --urls http://127.0.0.1:{port} --Mqtt:Enabled true --Mqtt:Host 127.0.0.1 --Mqtt:Port {mqttPort}", AdminKey, out var output);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            await ServerProcess.WaitUntilUpAsync(http, server, output);

            var clients = new List<IMqttClient>();
            for (var c = 0; c < Clients; c++) clients.Add(await MqttClients.ConnectAsync(mqttPort, AdminKey, $"mqtt-crash-{c}"));
            using var stop = new CancellationTokenSource();
            var workers = clients.SelectMany((client, c) => Enumerable.Range(0, InFlightPerClient).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var seq = Interlocked.Increment(ref counter);
                    try
                    {
                        var result = await client.PublishAsync("v1/devices/me/telemetry", new { ts = seq * 1000, values = new { seq } });
                        if (result.ReasonCode == MqttClientPublishReasonCode.Success) acknowledged.Add((c, seq));
                    }
                    catch (Exception)
                    {
                        return; // killed
                    }
                }
            }))).ToArray();

            await Task.Delay(500 + Random.Shared.Next(700));
            Process.Start("kill", $"-KILL {server.Id}").WaitForExit();
            await server.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            foreach (var client in clients) client.Dispose();
        }
        Assert.True(acknowledged.Count > 100, $"traffic was flowing ({acknowledged.Count} messages acknowledged)");

        await using var after = await TestServer.StartAsync(database);
        var lost = 0;
        for (var c = 0; c < Clients; c++)
        {
            var stored = new HashSet<long>();
            string? next = $"/api/v1/devices/mqtt-crash-{c}/history?start=1970-01-01T00:00:00Z&end=2100-01-01T00:00:00Z&limit=10000";
            while (next is not null)
            {
                var response = await after.Client.GetAsync(next, TestServer.AdminKey);
                foreach (var reading in (await response.ReadJsonAsync()).GetProperty("data").EnumerateArray())
                    stored.Add(reading.GetProperty("metrics").GetProperty("seq").GetInt64());
                next = response.Headers.TryGetValues("Link", out var links) ? links.Single()[1..links.Single().IndexOf('>')] : null;
            }
            lost += acknowledged.Count(a => a.Client == c && !stored.Contains(a.Seq));
        }
        Assert.True(lost == 0, $"after {Kills} kills: {lost} of {acknowledged.Count} acknowledged messages are missing");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

public sealed class SqliteMqttCrashTests() : MqttCrashTests(new SqliteBackend());

public sealed class PostgresMqttCrashTests() : MqttCrashTests(new PostgresBackend());
