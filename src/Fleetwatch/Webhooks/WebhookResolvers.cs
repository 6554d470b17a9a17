using Fleetwatch.Auth;

namespace Fleetwatch.Webhooks;

/// <summary><c>{webhook_id}</c>: the webhook and its project.</summary>
public sealed class WebhookResolver(IWebhookStore store) : IScopeResolver
{
    public string Parameter => "webhook_id:long";
    public string Resource => "webhook";

    public async ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct) =>
        long.TryParse(value, out var id) && await store.GetWebhookAsync(id, ct) is { } webhook ? (webhook.ProjectId, webhook) : null;
}

/// <summary><c>{delivery_id}</c>: the delivery and its project.</summary>
public sealed class DeliveryResolver(IWebhookStore store) : IScopeResolver
{
    public string Parameter => "delivery_id:long";
    public string Resource => "delivery";

    public async ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct) =>
        long.TryParse(value, out var id) && await store.GetDeliveryAsync(id, ct) is { } delivery ? (delivery.ProjectId, delivery) : null;
}
