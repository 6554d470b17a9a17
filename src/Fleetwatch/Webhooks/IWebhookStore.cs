
namespace Fleetwatch.Webhooks;

public sealed record Webhook(long Id, long ProjectId, string Url, string? Secret, bool Enabled, long CreatedMicros);

public sealed record Delivery(long Id, long ProjectId, long WebhookId, long AlertId, string Status, int Attempts, long NextAttemptMicros,
    int? LastStatusCode, string? LastError, int? LastLatencyMs, long CreatedMicros, long? DeliveredMicros);

/// <summary>A claimed delivery with what sending it needs.</summary>
public sealed record PendingDelivery(long Id, int Attempts, string Url, string? Secret, long AlertId, long DeviceId, long RuleId, long TriggeredMicros, string Details);

public sealed record Attempt(long AttemptedMicros, string Outcome, int? StatusCode, int? LatencyMs, string? Error);

public sealed record Circuit(string Url, string State, int Failures, long? WindowStartedMicros, long? OpenedMicros);

public interface IWebhookStore
{
    Task<Webhook> CreateWebhookAsync(long projectId, string url, string? secret, CancellationToken ct);
    Task<Webhook?> GetWebhookAsync(long webhookId, CancellationToken ct);
    Task<IReadOnlyList<Webhook>> ListWebhooksAsync(long projectId, CancellationToken ct);
    Task SetWebhookEnabledAsync(long webhookId, bool enabled, CancellationToken ct);
    Task<IReadOnlyList<Delivery>> ListDeliveriesAsync(long projectId, string? status, int limit, CancellationToken ct);

    /// <summary>Takes up to <paramref name="max"/> due deliveries for this node until <paramref name="leaseUntil"/> (a crashed node's lease runs out and another takes them).</summary>
    Task<IReadOnlyList<PendingDelivery>> ClaimDueAsync(int max, long now, long leaseUntil, CancellationToken ct);

    /// <summary>Records an attempt: the new status, when to try again, and what the receiver said.</summary>
    Task RecordAttemptAsync(long deliveryId, string status, bool counted, long nextAttempt, int? statusCode, string? error, int? latencyMs, CancellationToken ct);

    Task<IReadOnlyList<Attempt>> ListAttemptsAsync(long deliveryId, CancellationToken ct);
    Task<Delivery?> GetDeliveryAsync(long deliveryId, CancellationToken ct);

    Task<Circuit> GetCircuitAsync(string url, CancellationToken ct);
    Task SaveCircuitAsync(Circuit circuit, CancellationToken ct);
}
