using System.Text.Json;
using Fleetwatch.Auth;
using Fleetwatch.Http;
using Fleetwatch.Rules;
using Microsoft.AspNetCore.Mvc;

namespace Fleetwatch.Platform;

/// <summary>
/// Alerts (CONTRACTS.md §3 and beyond): per project and per device, newest first, filtered by state, rule,
/// device and time; acknowledged and resolved by id (open → acknowledged → resolved).
/// </summary>
public static class AlertsApi
{
    private const int DefaultLimit = 100, MaxLimit = 1000;

    /// <summary>The query's names are the contract's (<c>rule_id</c>, <c>device_id</c>): bound by name, not by the property's.</summary>
    public sealed class AlertQuery
    {
        public string? Limit { get; init; }
        public string? State { get; init; }
        [FromQuery(Name = "rule_id")]
        public long? RuleId { get; init; }
        [FromQuery(Name = "device_id")]
        public long? DeviceId { get; init; }
        public string? Since { get; init; }
        public long? Before { get; init; }
    }

    public static void MapAlerts(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapPlatformGroup();
        group.MapGet("/projects/{project_id:long}/alerts", (long project_id, [AsParameters] AlertQuery query, HttpContext http, IRuleStore store) =>
            ListAsync(http, store, query, project_id, null)).RequireAccess(Access.Read).ListsOfTheProject().Produces<AlertResponse[]>()
            .WithSummary("List a project's alerts").WithDescription(ListDescription);
        group.MapGet("/devices/{device_id:long}/alerts", (long device_id, [AsParameters] AlertQuery query, HttpContext http, IRuleStore store) =>
            ListAsync(http, store, query, null, device_id)).RequireAccess(Access.Read).ListsOfTheProject().Produces<AlertResponse[]>()
            .WithSummary("List a device's alerts").WithDescription(ListDescription);
        var states = routes.MapPlatformGroup(tag: ApiTags.Fleetwatch);
        states.MapPost("/alerts/{alert_id:long}/ack", (long alert_id, HttpContext http, IRuleStore store) => SetStateAsync(alert_id, "acknowledged", http, store))
            .RequireAccess(Access.Write).Produces<AlertResponse>()
            .WithSummary("Acknowledge an alert").WithDescription("open → acknowledged: someone is on it. The alert stays open for auto-resolve.");
        states.MapPost("/alerts/{alert_id:long}/resolve", (long alert_id, HttpContext http, IRuleStore store) => SetStateAsync(alert_id, "resolved", http, store))
            .RequireAccess(Access.Write).Produces<AlertResponse>()
            .WithSummary("Resolve an alert").WithDescription("open or acknowledged → resolved.");
    }

    private const string ListDescription = "Newest first; `state` (open, acknowledged, resolved), `rule_id`, `device_id`, `since` (ISO 8601), `limit` 1–1000 (100) " +
        "and `before` (an alert id, for the next page).";

    private static async Task<IResult> ListAsync(HttpContext http, IRuleStore store, AlertQuery query, long? projectId, long? deviceId)
    {
        var limit = DefaultLimit;
        if (query.Limit is not null && (!int.TryParse(query.Limit, out limit) || limit is < 1 or > MaxLimit))
            return Problems.Validation("limit", $"must be a whole number from 1 to {MaxLimit}");
        if (query.State is not (null or "open" or "acknowledged" or "resolved")) return Problems.Validation("state", "must be open, acknowledged or resolved");
        long? since = null;
        if (query.Since is not null)
        {
            if (!Timestamps.TryParse(query.Since, out var micros)) return Problems.Validation("since", $"must be {Timestamps.FormatHint}");
            since = micros;
        }
        var alerts = await store.ListAlertsAsync(new AlertFilter(projectId, deviceId ?? query.DeviceId, query.RuleId, query.State, since, limit, query.Before), http.RequestAborted);
        return new AlertJson(alerts);
    }

    private static async Task<IResult> SetStateAsync(long alertId, string state, HttpContext http, IRuleStore store) =>
        new AlertJson([(await store.SetAlertStateAsync(alertId, state, http.RequestAborted))!], single: true);
}

/// <summary>Alerts as JSON: <c>{id, project_id, device_id, rule_id, triggered_at, details, state, severity, acknowledged_at, resolved_at}</c>.</summary>
public sealed class AlertJson(IReadOnlyList<Alert> alerts, bool single = false) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(httpContext.Response.BodyWriter);
        if (!single) json.WriteStartArray();
        foreach (var alert in alerts) Write(json, alert);
        if (!single) json.WriteEndArray();
        await json.FlushAsync(httpContext.RequestAborted);
    }

    private static void Write(Utf8JsonWriter json, Alert alert)
    {
        json.WriteStartObject();
        json.WriteNumber("id", alert.Id);
        json.WriteNumber("project_id", alert.ProjectId);
        json.WriteNumber("device_id", alert.DeviceId);
        json.WriteNumber("rule_id", alert.RuleId);
        json.WriteString("triggered_at", Timestamps.Format(alert.TriggeredMicros));
        json.WritePropertyName("details");
        json.WriteRawValue(alert.Details, skipInputValidation: true);
        json.WriteString("state", alert.State);
        json.WriteString("severity", alert.Severity);
        json.WriteInstantOrNull("acknowledged_at", alert.AcknowledgedMicros);
        json.WriteInstantOrNull("resolved_at", alert.ResolvedMicros);
        json.WriteEndObject();
    }
}
