using System.Data.Common;
using Fleetwatch.Model;
using Fleetwatch.Webhooks;

namespace Fleetwatch.Storage;

/// <summary>
/// Webhooks, the delivery outbox and circuit breakers, in SQL that is the same on both engines, like
/// <see cref="PortableRuleStore"/>. On PostgreSQL deliveries are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so
/// several nodes share the outbox without taking the same row; SQLite's single writer does the same alone.
/// </summary>
public sealed class PortableWebhookStore(Func<CancellationToken, Task<DbConnection>> open, bool postgres) : PortableSql(open), IWebhookStore
{
    private const string WebhookColumns = "id, project_id, url, secret, enabled, created_at";
    private const string DeliveryColumns = "id, project_id, webhook_id, alert_id, status, attempts, next_attempt_at, last_status_code, last_error, last_latency_ms, created_at, delivered_at";

    public async Task<Webhook> CreateWebhookAsync(long projectId, string url, string? secret, CancellationToken ct)
    {
        var id = (long)(await ScalarAsync("INSERT INTO webhooks (project_id, url, secret, enabled, created_at) VALUES (@project, @url, @secret, 1, @now) RETURNING id",
            ct, ("project", projectId), ("url", url), ("secret", secret), ("now", Clock.NowMicros())))!;
        return (await GetWebhookAsync(id, ct))!;
    }

    public async Task<Webhook?> GetWebhookAsync(long webhookId, CancellationToken ct) =>
        (await QueryAsync($"SELECT {WebhookColumns} FROM webhooks WHERE id = @id", ReadWebhook, ct, ("id", webhookId))).FirstOrDefault();

    public async Task<IReadOnlyList<Webhook>> ListWebhooksAsync(long projectId, CancellationToken ct) =>
        await QueryAsync($"SELECT {WebhookColumns} FROM webhooks WHERE project_id = @project ORDER BY id", ReadWebhook, ct, ("project", projectId));

    public Task SetWebhookEnabledAsync(long webhookId, bool enabled, CancellationToken ct) =>
        ScalarAsync("UPDATE webhooks SET enabled = @enabled WHERE id = @id", ct, ("enabled", enabled ? 1 : 0), ("id", webhookId));

    public async Task<IReadOnlyList<Delivery>> ListDeliveriesAsync(long projectId, string? status, int limit, CancellationToken ct) =>
        await QueryAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE project_id = @project {(status is null ? "" : "AND status = @status")} ORDER BY id DESC LIMIT @limit",
            ReadDelivery, ct, ("project", projectId), ("status", status), ("limit", limit));

    public async Task<IReadOnlyList<PendingDelivery>> ClaimDueAsync(int max, long now, long leaseUntil, CancellationToken ct)
    {
        // Most polls find nothing: ask with a read first, so an idle node takes no write lock (SQLite has one for all).
        var anyDue = await ScalarAsync("""
            SELECT 1 FROM webhook_deliveries WHERE (status IN ('pending', 'retrying') AND next_attempt_at <= @now) OR (status = 'sending' AND claimed_until < @now) LIMIT 1
            """, ct, ("now", now));
        if (anyDue is null) return [];
        var ids = await QueryAsync($"""
            UPDATE webhook_deliveries SET status = 'sending', claimed_until = @lease
            WHERE id IN (SELECT id FROM webhook_deliveries
                WHERE (status IN ('pending', 'retrying') AND next_attempt_at <= @now) OR (status = 'sending' AND claimed_until < @now)
                ORDER BY next_attempt_at LIMIT @max {(postgres ? "FOR UPDATE SKIP LOCKED" : "")})
            RETURNING id
            """, r => r.GetInt64(0), ct, ("lease", leaseUntil), ("now", now), ("max", max));
        if (ids.Count == 0) return [];
        return await QueryAsync($"""
            SELECT d.id, d.attempts, w.url, w.secret, a.id, a.device_id, a.rule_id, a.triggered_at, a.details
            FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN alerts a ON a.id = d.alert_id
            WHERE d.id IN ({string.Join(',', ids)})
            """, r => new PendingDelivery(r.GetInt64(0), r.GetInt32(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4),
                r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetString(8)), ct);
    }

    public async Task RecordAttemptAsync(long deliveryId, string status, bool counted, long nextAttempt, int? statusCode, string? error, int? latencyMs, CancellationToken ct)
    {
        if (counted)
        {
            await ScalarAsync("INSERT INTO webhook_attempts (delivery_id, attempted_at, outcome, status_code, latency_ms, error) VALUES (@id, @at, @outcome, @code, @latency, @error)",
                ct, ("id", deliveryId), ("at", Clock.NowMicros()), ("outcome", status), ("code", statusCode), ("latency", latencyMs), ("error", error));
        }
        await ScalarAsync($"""
            UPDATE webhook_deliveries SET status = @status, attempts = attempts + {(counted ? 1 : 0)}, next_attempt_at = @next, claimed_until = NULL,
                last_status_code = COALESCE(@code, last_status_code), last_error = @error, last_latency_ms = COALESCE(@latency, last_latency_ms),
                delivered_at = CASE WHEN @status = 'success' THEN @next ELSE delivered_at END
            WHERE id = @id
            """, ct, ("status", status), ("next", nextAttempt), ("code", statusCode), ("error", error), ("latency", latencyMs), ("id", deliveryId));
    }

    public async Task<IReadOnlyList<Attempt>> ListAttemptsAsync(long deliveryId, CancellationToken ct) =>
        await QueryAsync("SELECT attempted_at, outcome, status_code, latency_ms, error FROM webhook_attempts WHERE delivery_id = @id ORDER BY attempted_at",
            r => new Attempt(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt32(2), r.IsDBNull(3) ? null : r.GetInt32(3), r.IsDBNull(4) ? null : r.GetString(4)),
            ct, ("id", deliveryId));

    public async Task<Delivery?> GetDeliveryAsync(long deliveryId, CancellationToken ct) =>
        (await QueryAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE id = @id", ReadDelivery, ct, ("id", deliveryId))).FirstOrDefault();

    public async Task<Circuit> GetCircuitAsync(string url, CancellationToken ct) =>
        (await QueryAsync("SELECT url, state, failures, window_started_at, opened_at FROM webhook_circuits WHERE url = @url",
            r => new Circuit(r.GetString(0), r.GetString(1), r.GetInt32(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.IsDBNull(4) ? null : r.GetInt64(4)), ct, ("url", url)))
        .FirstOrDefault() ?? new Circuit(url, "closed", 0, null, null);

    public Task SaveCircuitAsync(Circuit circuit, CancellationToken ct) => ScalarAsync("""
        INSERT INTO webhook_circuits (url, state, failures, window_started_at, opened_at) VALUES (@url, @state, @failures, @window, @opened)
        ON CONFLICT (url) DO UPDATE SET state = excluded.state, failures = excluded.failures, window_started_at = excluded.window_started_at, opened_at = excluded.opened_at
        """, ct, ("url", circuit.Url), ("state", circuit.State), ("failures", circuit.Failures), ("window", circuit.WindowStartedMicros), ("opened", circuit.OpenedMicros));

    private static Webhook ReadWebhook(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt32(4) != 0, r.GetInt64(5));

    private static Delivery ReadDelivery(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetString(4), r.GetInt32(5), r.GetInt64(6),
        r.IsDBNull(7) ? null : r.GetInt32(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetInt32(9), r.GetInt64(10), r.IsDBNull(11) ? null : r.GetInt64(11));
}
