using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace Fleetwatch.Load;

/// <summary>
/// Many devices heard from once, in projects with staggered inactivity timeouts (30, 32, … s): how long after each
/// device's deadline its "inactive" transition reaches a project's live stream, and the managed heap per device.
/// The streams are followed once every device has been heard from (the first timeout is longer than that takes), so
/// that they carry transitions only, not the seeding's readings.
/// </summary>
public static class ConnectivityBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var devices = (int)options.Long("devices", 100_000);
        var projects = (int)options.Long("projects", 10);
        var detect = options.Long("detect", 1) == 1;
        var shortest = (int)options.Long("timeout", 30);
        var prefix = options.Values.GetValueOrDefault("prefix", "heap");
        using var admin = options.Client();
        var tenants = new List<(long Project, string Key, int Timeout)>();
        for (var p = 0; p < projects; p++)
        {
            var (project, key) = await Options.NewProjectAsync(admin, $"connectivity-{p}");
            var timeout = shortest + 2 * p;
            (await admin.PatchAsJsonAsync($"projects/{project}/connectivity", new { inactivity_timeout_seconds = timeout })).EnsureSuccessStatusCode();
            tenants.Add((project, key, timeout));
        }

        // Each device's send time, and each inactive transition's arrival, on this machine's clock (the server's too).
        var sentMs = new double[devices];
        var inactive = new ConcurrentDictionary<string, (double ArrivedMs, double SinceMs)>();
        var duplicates = 0;
        var heapBefore = await Measure.HeapAsync(admin);
        var clients = tenants.Select(t => (options with { Key = t.Key }).Client(32)).ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, devices), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (d, ct) =>
        {
            sentMs[d] = NowMs();
            (await clients[d % projects].PostAsJsonAsync("status", new
            {
                device_id = "d" + d.ToString(CultureInfo.InvariantCulture), timestamp = "2026-01-01T00:00:00Z", battery_level = d % 101, rssi = -(d % 90), online = true,
            }, ct)).EnsureSuccessStatusCode();
        });
        var seededAt = NowMs();
        var seedingSeconds = (seededAt - sentMs.Min()) / 1000;
        var heapAfter = await Measure.HeapAsync(admin);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prefix}_bytes_per_device {(heapAfter - heapBefore) / (double)devices:F0}"));
        foreach (var client in clients) client.Dispose();
        if (!detect) return 0;
        if (seedingSeconds >= shortest) Console.Error.WriteLine($"connectivity: seeding took {seedingSeconds:F0} s, longer than the shortest timeout: raise --timeout");

        using var stop = new CancellationTokenSource();
        var listeners = tenants.Select((t, p) => ListenAsync(options, t.Key, p, inactive, () => Interlocked.Increment(ref duplicates), stop.Token)).ToList();

        // Every device is due within the longest timeout of the last send; wait that, plus a generous margin.
        var until = seededAt + (tenants.Max(t => t.Timeout) + 60) * 1000.0;
        while (inactive.Count < devices && NowMs() < until) await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(listeners);

        // A burst of transitions can overflow a slow subscriber's queue (a "gap" frame): those devices are looked up in
        // their recorded history instead, the delay being the time the transition was recorded.
        var gapped = await RecordedAsync(options, tenants, devices, inactive, () => Interlocked.Increment(ref duplicates));

        var delays = new List<double>(devices);
        var early = 0;
        foreach (var (device, (arrived, since)) in inactive)
        {
            var d = int.Parse(device.AsSpan(device.IndexOf('d') + 1), CultureInfo.InvariantCulture);
            // The deadline the server computed from its receive time, which is after this client's send.
            if (since < sentMs[d] + tenants[d % projects].Timeout * 1000.0 - 5) early++;
            delays.Add(arrived - since);
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            connectivity: {devices} devices in {projects} projects (timeouts {tenants[0].Timeout}–{tenants[^1].Timeout} s, heard from in {seedingSeconds:F0} s), {inactive.Count} went inactive,
              {gapped} of them missed by the streams and read from their history, {early} before their deadline, {duplicates} recorded twice; from deadline to stream frame p50 {Measure.Percentile(delays, 50):F0} ms, p99 {Measure.Percentile(delays, 99):F0} ms, max {delays.DefaultIfEmpty().Max():F0} ms
            """));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"connectivity_detected {inactive.Count}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"connectivity_wrong {devices - inactive.Count + early + duplicates}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"connectivity_delay_ms_p50 {Measure.Percentile(delays, 50):F0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"connectivity_delay_ms_p99 {Measure.Percentile(delays, 99):F0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"connectivity_delay_ms_max {delays.DefaultIfEmpty().Max():F0}"));
        return 0;
    }

    /// <summary>A project's live stream: records each device's first "inactive" frame, counts any second one.</summary>
    private static async Task ListenAsync(Options options, string key, int project, ConcurrentDictionary<string, (double, double)> inactive,
        Action duplicate, CancellationToken ct)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-API-Key", key);
        await socket.ConnectAsync(new Uri(new Uri(options.Url.ToString().Replace("http", "ws", StringComparison.Ordinal)), "api/v1/stream/all"), ct);
        var buffer = new byte[64 * 1024];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var received = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(received), ct);
                    received += result.Count;
                } while (!result.EndOfMessage);
                var arrived = NowMs();
                using var frame = JsonDocument.Parse(buffer.AsMemory(0, received));
                var root = frame.RootElement;
                if (!root.TryGetProperty("type", out var type)) continue;
                if (type.GetString() == "gap") Console.Error.WriteLine($"connectivity: project {project}'s stream lost frames (the bench read too slowly)");
                if (type.ValueKind != JsonValueKind.String || type.GetString() != "connectivity" || root.GetProperty("state").GetString() != "inactive") continue;
                var since = DateTimeOffset.Parse(root.GetProperty("since").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
                if (!inactive.TryAdd(project + "/" + root.GetProperty("device_id").GetString(), (arrived, since))) duplicate();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>For each device no stream reported: its recorded transitions (inactive exactly once, after its deadline).</summary>
    private static async Task<int> RecordedAsync(Options options, List<(long Project, string Key, int Timeout)> tenants, int devices,
        ConcurrentDictionary<string, (double ArrivedMs, double SinceMs)> inactive, Action duplicate)
    {
        var found = 0;
        for (var p = 0; p < tenants.Count; p++)
        {
            var missing = Enumerable.Range(0, devices).Where(d => d % tenants.Count == p && !inactive.ContainsKey($"{p}/d{d}")).ToList();
            if (missing.Count == 0) continue;
            using var client = (options with { Key = tenants[p].Key }).Client(16);
            var ids = (await client.GetFromJsonAsync<JsonElement>($"projects/{tenants[p].Project}/devices"))!.EnumerateArray()
                .ToDictionary(d => d.GetProperty("external_id").GetString()!, d => d.GetProperty("id").GetInt64());
            var project = p;
            await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (d, ct) =>
            {
                var history = await client.GetFromJsonAsync<JsonElement>($"projects/{tenants[project].Project}/devices/{ids[$"d{d}"]}/connectivity/history", ct);
                foreach (var t in history.GetProperty("transitions").EnumerateArray().Where(t => t.GetProperty("state").GetString() == "inactive"))
                {
                    var since = DateTimeOffset.Parse(t.GetProperty("since").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
                    var recorded = DateTimeOffset.Parse(t.GetProperty("recorded_at").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
                    if (inactive.TryAdd($"{project}/d{d}", (recorded, since))) Interlocked.Increment(ref found);
                    else duplicate();
                }
            });
        }
        return found;
    }

    private static double NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
