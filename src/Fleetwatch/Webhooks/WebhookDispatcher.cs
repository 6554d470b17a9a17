using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fleetwatch.Http;
using Fleetwatch.Model;

namespace Fleetwatch.Webhooks;

public sealed class WebhookOptions
{
    [Description("How often each node looks for due deliveries.")]
    public int PollMilliseconds { get; set; } = 500;
    [Description("Delivery attempts after the first before a webhook delivery is marked failed.")]
    public int MaxRetries { get; set; } = 8;
    [Description("Seconds before the first retry; it doubles per retry up to MaxDelaySeconds (plus jitter).")]
    public double BaseDelaySeconds { get; set; } = 5;
    [Description("The longest wait between two delivery attempts.")]
    public double MaxDelaySeconds { get; set; } = 1800;
    [Description("Failures within the window that open a webhook URL's circuit breaker.")]
    public int BreakerFailures { get; set; } = 5;
    [Description("The window in which failures are counted.")]
    public int BreakerWindowSeconds { get; set; } = 300;
    [Description("How long an open circuit holds deliveries before one probe is let through.")]
    public double BreakerOpenSeconds { get; set; } = 60;
}

/// <summary>
/// Delivers alerts from the outbox, at least once, on every node: claims due rows (a lease, so a crashed node's
/// rows go to another), POSTs the signed body, and records the outcome — success; retrying with exponential
/// backoff and jitter on 408, 429, 5xx and transport errors; failed on other statuses or once retries run out.
/// A circuit breaker per URL, kept in the database for all nodes, holds deliveries while an endpoint is down.
/// Deliveries run concurrently, so a slow endpoint does not hold up the others.
/// </summary>
public sealed partial class WebhookDispatcher(IWebhookStore store, Microsoft.Extensions.Options.IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> logger)
    : BackgroundService
{
    private const int ClaimSize = 32;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly WebhookOptions _options = options.Value;
    private readonly SemaphoreSlim _inFlight = new(16);
    private readonly SemaphoreSlim _nudged = new(0, 1);

    /// <summary>Delivery outcomes since start (success, retrying, failed, circuit_open), for the metrics.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, long> Outcomes { get; } = new();

    /// <summary>An alert was raised here: look for deliveries now rather than at the next poll.</summary>
    public void Nudge()
    {
        if (_nudged.CurrentCount == 0)
        {
            try
            {
                _nudged.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2), PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        try
        {
            while (true)
            {
                await _nudged.WaitAsync(TimeSpan.FromMilliseconds(_options.PollMilliseconds), stoppingToken);
                running.RemoveAll(t => t.IsCompleted);
                IReadOnlyList<PendingDelivery> due;
                try
                {
                    var now = Clock.NowMicros();
                    // Not cancellable: a claim cut off half-way would leave rows leased to a node that is stopping.
                    due = await store.ClaimDueAsync(Math.Max(0, ClaimSize - running.Count), now, now + (long)Lease.TotalMicroseconds, CancellationToken.None);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.ClaimFailed(logger, e);
                    continue;
                }
                foreach (var delivery in due) running.Add(DeliverAsync(delivery, stoppingToken));
            }
        }
        catch (OperationCanceledException)
        {
        }
        // Deliveries in flight finish (or their lease returns them to the outbox).
        await Task.WhenAll(running);
    }

    private async Task DeliverAsync(PendingDelivery delivery, CancellationToken ct)
    {
        await _inFlight.WaitAsync(CancellationToken.None);
        try
        {
            var now = Clock.NowMicros();
            var circuit = await store.GetCircuitAsync(delivery.Url, CancellationToken.None);
            var reopensAt = (circuit.OpenedMicros ?? 0) + (long)(_options.BreakerOpenSeconds * 1_000_000);
            if (circuit.State == "open" && now < reopensAt)
            {
                // Not an attempt: the endpoint is known to be down; try when the breaker half-opens.
                await store.RecordAttemptAsync(delivery.Id, "retrying", counted: false, reopensAt, null, "circuit_open", null, CancellationToken.None);
                Count("circuit_open");
                return;
            }
            var (statusCode, error, latencyMs) = await SendAsync(delivery);
            var succeeded = statusCode is >= 200 and < 300;
            var retryable = !succeeded && (statusCode is null or 408 or 429 or >= 500);
            await store.SaveCircuitAsync(Next(circuit, succeeded, now), CancellationToken.None);
            var reason = error ?? $"http_{statusCode}";
            var outcome = succeeded ? "success" : !retryable || delivery.Attempts >= _options.MaxRetries ? "failed" : "retrying";
            var recorded = succeeded ? null : retryable && delivery.Attempts >= _options.MaxRetries ? $"max_retries_exceeded:{reason}" : reason;
            var next = outcome == "retrying" ? now + RetryDelayMicros(delivery.Attempts) : Clock.NowMicros();
            await store.RecordAttemptAsync(delivery.Id, outcome, true, next, statusCode, recorded, latencyMs, CancellationToken.None);
            Count(outcome);
        }
        catch (Exception e)
        {
            // The lease returns the delivery to the outbox; another pass (here or on another node) retries it.
            Log.DeliveryFailed(logger, e, delivery.Id);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private void Count(string outcome) => Outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    private Task<(int? StatusCode, string? Error, int LatencyMs)> SendAsync(PendingDelivery delivery) =>
        SendSignedAsync(delivery.Url, delivery.Secret, Body(delivery), delivery.Id.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Sends one request now, outside the outbox, signed like a delivery (<c>X-Telemetry-Delivery: test</c>), so an
    /// operator can check a receiver and its secret before an alert depends on it. Neither retried, logged as a
    /// delivery, nor counted by the circuit breaker.
    /// </summary>
    public Task<(int? StatusCode, string? Error, int LatencyMs)> SendTestAsync(Webhook webhook)
    {
        var json = new StringBuilder("{\"event\":\"test\",\"project_id\":").Append(webhook.ProjectId.ToString(CultureInfo.InvariantCulture));
        json.Append(",\"sent_at\":");
        PythonJson.WriteString(json, Timestamps.Format(Clock.NowMicros()));
        json.Append(",\"webhook_id\":").Append(webhook.Id.ToString(CultureInfo.InvariantCulture)).Append('}');
        return SendSignedAsync(webhook.Url, webhook.Secret, Encoding.ASCII.GetBytes(json.ToString()), "test");
    }

    private async Task<(int? StatusCode, string? Error, int LatencyMs)> SendSignedAsync(string url, string? secret, byte[] body, string deliveryId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        // A new timestamp per attempt; the signature covers it, so a replayed old request can be told apart.
        var timestamp = Timestamps.Format(Clock.NowMicros());
        request.Headers.Add("X-Telemetry-Timestamp", timestamp);
        request.Headers.Add("X-Telemetry-Delivery", deliveryId);
        if (secret is { Length: > 0 })
        {
            var signed = Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray();
            request.Headers.Add("X-Telemetry-Signature", Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)));
        }
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            return ((int)response.StatusCode, null, (int)clock.ElapsedMilliseconds);
        }
        catch (TaskCanceledException)
        {
            return (null, "timeout", (int)clock.ElapsedMilliseconds);
        }
        catch (HttpRequestException e)
        {
            return (null, e.HttpRequestError == HttpRequestError.ConnectionError ? "connection_error" : "transport_error", (int)clock.ElapsedMilliseconds);
        }
    }

    /// <summary>
    /// <c>{alert_id, details, device_id, rule_id, triggered_at}</c> byte for byte as the original's
    /// <c>json.dumps(sort_keys=True, separators=(",", ":"))</c>; all ASCII, so the signed bytes are the characters.
    /// </summary>
    public static byte[] Body(PendingDelivery delivery)
    {
        var json = new StringBuilder(256 + delivery.Details.Length);
        json.Append("{\"alert_id\":").Append(delivery.AlertId.ToString(CultureInfo.InvariantCulture)).Append(",\"details\":");
        using (var details = JsonDocument.Parse(delivery.Details)) PythonJson.Write(json, details.RootElement);
        json.Append(",\"device_id\":").Append(delivery.DeviceId.ToString(CultureInfo.InvariantCulture));
        json.Append(",\"rule_id\":").Append(delivery.RuleId.ToString(CultureInfo.InvariantCulture));
        json.Append(",\"triggered_at\":");
        PythonJson.WriteString(json, Timestamps.Format(delivery.TriggeredMicros));
        return Encoding.ASCII.GetBytes(json.Append('}').ToString());
    }

    /// <summary>min(max, base·2^r) plus a jitter of up to min(30 s, that delay).</summary>
    private long RetryDelayMicros(int retries)
    {
        var delay = Math.Min(_options.MaxDelaySeconds, _options.BaseDelaySeconds * Math.Pow(2, retries));
        return (long)((delay + Random.Shared.NextDouble() * Math.Min(30, delay)) * 1_000_000);
    }

    /// <summary>The breaker after an attempt: failures counted within a window open it; a half-open failure reopens it; a success closes it.</summary>
    private Circuit Next(Circuit circuit, bool succeeded, long now)
    {
        if (succeeded) return circuit with { State = "closed", Failures = 0, WindowStartedMicros = null, OpenedMicros = null };
        var windowStart = circuit.WindowStartedMicros is { } started && now - started <= _options.BreakerWindowSeconds * 1_000_000L ? started : now;
        var failures = windowStart == circuit.WindowStartedMicros ? circuit.Failures + 1 : 1;
        var open = circuit.State == "open" || failures >= _options.BreakerFailures;
        return new Circuit(circuit.Url, open ? "open" : "closed", failures, windowStart, open ? now : null);
    }

    public override void Dispose()
    {
        _http.Dispose();
        _inFlight.Dispose();
        _nudged.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.WebhookClaimFailed, Level = LogLevel.Warning, Message = "Could not claim webhook deliveries")]
        public static partial void ClaimFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = LogEvents.WebhookDeliveryFailed, Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} failed unexpectedly; its lease will return it")]
        public static partial void DeliveryFailed(ILogger logger, Exception exception, long deliveryId);
    }
}
