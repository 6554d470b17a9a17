using Fleetwatch.Auth;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Tenants;
using Fleetwatch.Webhooks;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Platform;

/// <summary>The secret is write-only: it signs deliveries and is never returned.</summary>
public sealed record WebhookResponse(long Id, long ProjectId, string Url, bool Enabled, bool Signed, string CreatedAt)
{
    public static WebhookResponse From(Webhook w) => new(w.Id, w.ProjectId, w.Url, w.Enabled, w.Secret is not null, Timestamps.Format(w.CreatedMicros));
}

public sealed record WebhookBody(string Url, string? Secret);

public sealed record AttemptResponse(string AttemptedAt, string Outcome, int? StatusCode, int? LatencyMs, string? Error);

/// <summary>What the receiver said to a test request: <c>delivered</c> when it answered 2xx.</summary>
public sealed record WebhookTestResponse(long WebhookId, bool Delivered, int? StatusCode, int LatencyMs, string? Error);

public sealed record CircuitBreakerState(string State, int Failures, string? OpenedAt);

public sealed record CircuitStatusResponse(long WebhookId, string Url, CircuitBreakerState CircuitBreaker);

public sealed record DeliveryResponse(long Id, long ProjectId, long AlertId, long WebhookId, string Status, int Attempts, int? LastStatusCode, string? LastError,
    int? LastLatencyMs, string NextAttemptAt, string CreatedAt, string? DeliveredAt)
{
    public static DeliveryResponse From(Delivery d) => new(d.Id, d.ProjectId, d.AlertId, d.WebhookId, d.Status, d.Attempts, d.LastStatusCode, d.LastError,
        d.LastLatencyMs, Timestamps.Format(d.NextAttemptMicros), Timestamps.Format(d.CreatedMicros), d.DeliveredMicros is { } at ? Timestamps.Format(at) : null);
}

/// <summary>Webhooks (CONTRACTS.md §3): subscriptions per project, their circuit breaker, and the delivery log.</summary>
public static class WebhooksApi
{
    public static void MapWebhooks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapPlatformGroup();
        group.MapPost("/projects/{project_id:long}/webhooks", CreateAsync).RequireAccess(Access.Admin, "Adding a webhook needs an admin key of the project")
            .WithSummary("Add a webhook")
            .WithDescription("Every alert of the project is POSTed to `url`, at least once, retried with backoff, behind a circuit breaker per URL. With a " +
                "`secret`, `X-Telemetry-Signature` is the hex HMAC-SHA256 of timestamp + \".\" + body. The secret is never returned.")
            .Accepts<WebhookBody>("application/json").Produces<WebhookResponse>(StatusCodes.Status201Created);
        group.MapGet("/projects/{project_id:long}/webhooks", async (long project_id, HttpContext http, IWebhookStore store) =>
            TypedResults.Ok((await store.ListWebhooksAsync(project_id, http.RequestAborted)).Select(WebhookResponse.From).ToArray()))
            .RequireAccess(Access.Read).ListsOfTheProject().WithSummary("List a project's webhooks").WithDescription("Whether each is enabled and signed.");
        group.MapGet("/webhooks/{webhook_id:long}", (HttpContext http) => TypedResults.Ok(WebhookResponse.From(http.GetScope().Get<Webhook>())))
            .RequireAccess(Access.Read).Produces<WebhookResponse>().WithSummary("Get a webhook").WithDescription("Another project's webhook answers 404.");
        group.MapPost("/webhooks/{webhook_id:long}/disable", (HttpContext http, IWebhookStore store) => SetEnabledAsync(false, http, store))
            .RequireAccess(Access.Admin, "Changing a webhook needs an admin key of the project").Produces<WebhookResponse>()
            .WithSummary("Disable a webhook").WithDescription("New alerts are no longer delivered to it; deliveries under way finish.");
        group.MapGet("/webhooks/{webhook_id:long}/circuit-status", CircuitStatusAsync).RequireAccess(Access.Read).Produces<CircuitStatusResponse>()
            .WithSummary("Get a webhook's circuit breaker").WithDescription("closed, open or half_open, the failures counted, and since when it is open. Shared by all nodes.");
        group.MapGet("/projects/{project_id:long}/webhook-deliveries", DeliveriesAsync).RequireAccess(Access.Read).ListsOfTheProject().Produces<DeliveryResponse[]>()
            .WithSummary("List a project's webhook deliveries").WithDescription("Newest first; `status` (pending, sending, retrying, success, failed) and `limit` 1–1000 (100).");

        var own = routes.MapPlatformGroup(tag: ApiTags.Fleetwatch);
        own.MapPost("/webhooks/{webhook_id:long}/enable", (HttpContext http, IWebhookStore store) => SetEnabledAsync(true, http, store))
            .RequireAccess(Access.Admin, "Changing a webhook needs an admin key of the project").Produces<WebhookResponse>()
            .WithSummary("Enable a webhook").WithDescription("New alerts are delivered to it again.");
        own.MapPost("/webhooks/{webhook_id:long}/test", TestAsync).RequireAccess(Access.Admin, "Testing a webhook needs an admin key of the project")
            .Produces<WebhookTestResponse>().WithSummary("Send a webhook a test request")
            .WithDescription("POSTs `{\"event\":\"test\",\"project_id\",\"sent_at\",\"webhook_id\"}` to its URL now, signed like a delivery " +
                "(`X-Telemetry-Delivery: test`), and answers what the receiver said. Not retried, not in the delivery log, not counted by the circuit breaker.");
        own.MapGet("/projects/{project_id:long}/webhook-deliveries/{delivery_id:long}/attempts", async (long delivery_id, HttpContext http, IWebhookStore store) =>
            TypedResults.Ok((await store.ListAttemptsAsync(delivery_id, http.RequestAborted)).Select(a =>
                new AttemptResponse(Timestamps.Format(a.AttemptedMicros), a.Outcome, a.StatusCode, a.LatencyMs, a.Error)).ToArray()))
            .RequireAccess(Access.Read).Produces<AttemptResponse[]>()
            .WithSummary("List a delivery's attempts").WithDescription("Each attempt's time, outcome, status code, latency and error, oldest first.");
    }

    private static async Task<IResult> CreateAsync(long project_id, HttpContext http, ITenantStore tenants, IWebhookStore store)
    {
        if (await tenants.GetProjectAsync(project_id, http.RequestAborted) is null) return Problems.NotFound("project not found");
        var (document, problem) = await JsonRequest.ReadObjectAsync(http.Request);
        if (problem is not null) return problem;
        using (document)
        {
            Dictionary<string, string[]>? errors = null;
            var url = JsonRequest.Text(document!.RootElement, "url", 2048, required: true, ref errors);
            if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
                ValidationErrors.Add(ref errors, "url", "must be an absolute http or https URL");
            var secret = JsonRequest.Text(document.RootElement, "secret", 256, required: false, ref errors);
            if (errors is not null) return Problems.Validation(errors);
            var webhook = await store.CreateWebhookAsync(project_id, url!, secret, http.RequestAborted);
            return TypedResults.Created($"/webhooks/{webhook.Id}", WebhookResponse.From(webhook));
        }
    }

    private static async Task<IResult> SetEnabledAsync(bool enabled, HttpContext http, IWebhookStore store)
    {
        var webhook = http.GetScope().Get<Webhook>();
        await store.SetWebhookEnabledAsync(webhook.Id, enabled, http.RequestAborted);
        return TypedResults.Ok(WebhookResponse.From(webhook with { Enabled = enabled }));
    }

    private static async Task<IResult> TestAsync(HttpContext http, WebhookDispatcher dispatcher)
    {
        var webhook = http.GetScope().Get<Webhook>();
        var (statusCode, error, latencyMs) = await dispatcher.SendTestAsync(webhook);
        return TypedResults.Ok(new WebhookTestResponse(webhook.Id, statusCode is >= 200 and < 300, statusCode, latencyMs, error ?? (statusCode is >= 300 ? $"http_{statusCode}" : null)));
    }

    private static async Task<IResult> CircuitStatusAsync(HttpContext http, IWebhookStore store, IOptions<WebhookOptions> options)
    {
        var webhook = http.GetScope().Get<Webhook>();
        var circuit = await store.GetCircuitAsync(webhook.Url, http.RequestAborted);
        var state = circuit.State == "open" && Clock.NowMicros() >= (circuit.OpenedMicros ?? 0) + (long)(options.Value.BreakerOpenSeconds * 1_000_000) ? "half_open" : circuit.State;
        return TypedResults.Ok(new CircuitStatusResponse(webhook.Id, webhook.Url,
            new CircuitBreakerState(state, circuit.Failures, circuit.OpenedMicros is { } opened ? Timestamps.Format(opened) : null)));
    }

    private static async Task<IResult> DeliveriesAsync(long project_id, string? status, string? limit, HttpContext http, IWebhookStore store)
    {
        var count = 100;
        if (limit is not null && (!int.TryParse(limit, out count) || count is < 1 or > 1000)) return Problems.Validation("limit", "must be a whole number from 1 to 1000");
        if (status is not (null or "pending" or "sending" or "retrying" or "success" or "failed"))
            return Problems.Validation("status", "must be pending, sending, retrying, success or failed");
        return TypedResults.Ok((await store.ListDeliveriesAsync(project_id, status, count, http.RequestAborted)).Select(DeliveryResponse.From).ToArray());
    }
}
