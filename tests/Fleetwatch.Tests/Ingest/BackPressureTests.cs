using System.Net;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Ingest;

/// <summary>
/// A writer that falls behind: requests wait in the bounded queue, past the enqueue timeout they get 503 with
/// Retry-After, and every acknowledged event — and only those — is stored.
/// </summary>
public sealed class BackPressureTests
{
    [Fact]
    public async Task AFullQueue_Answers503WithRetryAfter_AndLosesNoAcknowledgedEvent()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync(),
            "--Ingest:QueueCapacity", "4", "--Ingest:EnqueueTimeoutMs", "100", "--Ingest:SlowCommitMs", "150", "--Ingest:MaxBatchEvents", "4");
        var (_, key) = await server.NewProjectKeyAsync();
        using var client = server.NewClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 120).Select(i => client.PostJsonAsync("/status",
            new { device_id = "pressed", timestamp = DateTime.UnixEpoch.AddSeconds(i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), battery_level = i % 100, rssi = -50, online = true }, key)));

        var accepted = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(responses.Length, accepted.Count + refused.Count);
        Assert.NotEmpty(refused);
        Assert.True(accepted.Count > 4, $"requests waited for room in the queue rather than failing at once ({accepted.Count} accepted)");
        foreach (var response in refused)
        {
            var problem = await response.ProblemAsync(503);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Contains("busy writing", problem.Str("detail"), StringComparison.Ordinal);
        }

        // Exactly the acknowledged statuses were stored: none lost, none of the refused ones kept.
        var acknowledged = new HashSet<string>();
        foreach (var response in accepted) acknowledged.Add((await response.ReadJsonAsync()).Str("timestamp"));
        var history = await (await client.GetAsync("/status/pressed/history?limit=1000", key)).ReadJsonAsync();
        var stored = history.GetProperty("statuses").EnumerateArray().Select(s => s.Str("timestamp")).ToHashSet();
        Assert.Equal(acknowledged.Order(), stored.Order());
    }
}
