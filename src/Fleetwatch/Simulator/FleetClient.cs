using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fleetwatch.Auth;

namespace Fleetwatch.Simulator;

/// <summary>What a server answered to <c>GET /api/v1/devices/{id}/stats</c>.</summary>
public sealed record ReportedStats(HttpStatusCode Status, double? Uptime, string? AverageUploadTime);

/// <summary>A request the server refused for good (after retries): the simulation cannot be trusted.</summary>
public sealed class SimulationFailedException(string message) : Exception(message);

/// <summary>
/// The fleet API as the device simulator calls it: keyless unless a key is given, JSON bodies with RFC 3339
/// nanosecond timestamps. A busy server (503 or 429) is retried after its Retry-After, as a device would.
/// </summary>
public sealed class FleetClient : IDisposable
{
    private const int MaxAttempts = 20;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _http;
    private long _retries;

    public FleetClient(Uri baseAddress, string? apiKey, int connections)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseCookies = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (apiKey is not null) _http.DefaultRequestHeaders.Add(ApiKeyAuthenticationHandler.HeaderName, apiKey);
    }

    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>A heartbeat (<paramref name="uploadNanoseconds"/> &lt; 0) or an upload stat, sent <paramref name="sentAtNanoseconds"/> after <paramref name="periodStart"/>.</summary>
    public async Task SendAsync(string deviceId, DateTime periodStart, long sentAtNanoseconds, long uploadNanoseconds, CancellationToken cancel)
    {
        var timestamp = FormatNanoTimestamp(periodStart, sentAtNanoseconds);
        var (path, body) = uploadNanoseconds < 0
            ? ($"api/v1/devices/{Uri.EscapeDataString(deviceId)}/heartbeat", $"{{\"sent_at\":\"{timestamp}\"}}")
            : ($"api/v1/devices/{Uri.EscapeDataString(deviceId)}/stats", $"{{\"sent_at\":\"{timestamp}\",\"upload_time\":{uploadNanoseconds.ToString(CultureInfo.InvariantCulture)}}}");
        var bytes = Encoding.UTF8.GetBytes(body);

        for (var attempt = 1; ; attempt++)
        {
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = Json;
            using var response = await _http.PostAsync(path, content, cancel);
            if (response.StatusCode == HttpStatusCode.NoContent) return;
            if (IsBusy(response.StatusCode) && attempt < MaxAttempts)
            {
                Interlocked.Increment(ref _retries);
                await Task.Delay(RetryDelay(response), cancel);
                continue;
            }
            throw new SimulationFailedException(
                $"POST /{path} for {deviceId} answered {(int)response.StatusCode}: {Shorten(await response.Content.ReadAsStringAsync(cancel))}");
        }
    }

    public async Task<ReportedStats> GetStatsAsync(string deviceId, CancellationToken cancel)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await _http.GetAsync($"api/v1/devices/{Uri.EscapeDataString(deviceId)}/stats", cancel);
            if (IsBusy(response.StatusCode) && attempt < MaxAttempts)
            {
                Interlocked.Increment(ref _retries);
                await Task.Delay(RetryDelay(response), cancel);
                continue;
            }
            if (response.StatusCode != HttpStatusCode.OK) return new ReportedStats(response.StatusCode, null, null);
            try
            {
                using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancel));
                var root = json.RootElement;
                double? uptime = root.TryGetProperty("uptime", out var u) && u.ValueKind == JsonValueKind.Number ? u.GetDouble() : null;
                var average = root.TryGetProperty("avg_upload_time", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
                return new ReportedStats(response.StatusCode, uptime, average);
            }
            catch (JsonException)
            {
                return new ReportedStats(response.StatusCode, null, null);
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private static bool IsBusy(HttpStatusCode status) => status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests;

    private static TimeSpan RetryDelay(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta && delta < TimeSpan.FromSeconds(30) ? delta : TimeSpan.FromSeconds(1);

    /// <summary>RFC 3339 with nine fractional digits, as Go's <c>time.RFC3339Nano</c> writes them (without trimming).</summary>
    private static string FormatNanoTimestamp(DateTime periodStart, long nanoseconds) =>
        periodStart.AddTicks(nanoseconds / 100).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture)
        + (nanoseconds % 100).ToString("00", CultureInfo.InvariantCulture) + "Z";

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
