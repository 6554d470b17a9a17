using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Fleetwatch.Auth;
using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Storage;

namespace Fleetwatch.Load;

/// <summary>Batches of points through POST /telemetry, and the same batches written straight into the store without HTTP.</summary>
public static class BatchBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var seconds = options.Long("seconds", 15);
        var size = (int)options.Long("size", 1000);
        const int devices = 8;
        using var client = options.Client(devices);
        var prefix = $"batch-{Guid.NewGuid():N}"[..14];
        for (var d = 0; d < devices; d++) (await client.PostAsJsonAsync("api/v1/devices", new { device_id = $"{prefix}-{d}" })).EnsureSuccessStatusCode();

        long points = 0;
        var clock = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, devices).Select(async d =>
        {
            var start = DateTime.UtcNow.AddDays(-1);
            for (var request = 0; clock.Elapsed < until; request++)
            {
                var json = new StringBuilder(size * 64).Append("{\"device_external_id\":\"").Append(prefix).Append('-').Append(d).Append("\",\"events\":[");
                for (var i = 0; i < size; i++)
                {
                    if (i > 0) json.Append(',');
                    json.Append("{\"ts\":").Append(((start.Ticks - DateTime.UnixEpoch.Ticks) / 10_000_000 + request * size + i).ToString(CultureInfo.InvariantCulture))
                        .Append(",\"data\":{\"temperature\":").Append(i % 50).Append(",\"humidity\":").Append(i % 90).Append("}}");
                }
                using var content = new StringContent(json.Append("]}").ToString(), Encoding.UTF8, "application/json");
                (await client.PostAsync("telemetry", content)).EnsureSuccessStatusCode();
                Interlocked.Add(ref points, size);
            }
        }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{options.Values.GetValueOrDefault("name", "batch")}_points_per_s {points / clock.Elapsed.TotalSeconds:F0}"));
        return 0;
    }

    /// <summary>The same points written by the store's own batch write (one transaction per 1,000), no HTTP, no JSON.</summary>
    public static async Task<int> StoreInsertAsync(Options options)
    {
        var points = options.Long("points", 2_000_000);
        var size = (int)options.Long("size", 1000);
        await using var database = DatabaseTarget.Parse(options.Db).Open();
        await database.MigrateAsync(ApiKeys.Generate(null, KeyRole.Admin, "bench"), CancellationToken.None);
        var projectId = await database.EnsureProjectAsync("bench", "store-insert", CancellationToken.None);
        var metrics = new MetricDictionary();
        await database.LoadMetricsAsync(metrics, CancellationToken.None);
        var store = (IEventBatchStore)database;
        var start = (DateTime.UtcNow.AddDays(-1).Ticks - DateTime.UnixEpoch.Ticks) / 10;
        long deviceId = 0;
        var clock = Stopwatch.StartNew();
        for (long written = 0; written < points; written += size)
        {
            var drafts = new EventDraft[size];
            for (var i = 0; i < size; i++)
            {
                drafts[i] = new EventDraft
                {
                    ProjectId = projectId, ExternalId = "store-insert", DeviceId = deviceId, Kind = EventKind.Measurement,
                    TsMicros = start + (written + i) * 1_000_000,
                    Fields = [new Field("temperature", FieldValue.Of(i % 50)), new Field("humidity", FieldValue.Of(i % 90))],
                };
            }
            var batch = await store.WriteBatchAsync(drafts, metrics, CancellationToken.None);
            deviceId = batch.Events[0].DeviceId;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"store_points_per_s {points / clock.Elapsed.TotalSeconds:F0}"));
        return 0;
    }
}
