using System.Text.Json;
using Fleetwatch.Devices;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Rules;
using Fleetwatch.Webhooks;

namespace Fleetwatch.Connectivity;

/// <summary>
/// Inactivity rules' alerts: raised when a device has sent nothing for the rule's <c>inactive_seconds</c>, resolved
/// (auto_resolve) when it is heard from again — the same alerts table, cooldown, outbox and webhooks as threshold rules.
/// </summary>
public sealed partial class InactivityAlerts(IRuleStore store, RuleBook rules, WebhookDispatcher webhooks, ILogger<InactivityAlerts> logger)
{
    /// <param name="Rule">The rule whose silence to alert on; null when the device returned.</param>
    /// <param name="LastReceived">The receive time of the device's latest event: the silence began then.</param>
    /// <param name="Returned">The rules that fired during the silence that just ended.</param>
    public sealed record Work(DeviceRecord Device, Rule? Rule, long LastReceived, HashSet<long>? Returned);

    public async Task ApplyAsync(IReadOnlyList<Work> work, CancellationToken ct)
    {
        foreach (var item in work)
        {
            if (item.Rule is { } rule) await RaiseAsync(item.Device, rule, item.LastReceived, ct);
            foreach (var ruleId in item.Returned ?? [])
            {
                if (rules.For(item.Device.ProjectId, item.Device.Id).Any(r => r.Id == ruleId && r.AutoResolve))
                    await store.ResolveOpenAlertsAsync(ruleId, item.Device.Id, ct);
            }
        }
    }

    /// <summary>
    /// One alert per silence, however many nodes or restarts see it: the firing is named by the silence's start (the
    /// last receive time, negated so it never names an event), and an alert raised since that start stands for it.
    /// </summary>
    private async Task RaiseAsync(DeviceRecord device, Rule rule, long lastReceived, CancellationToken ct)
    {
        var now = Clock.NowMicros();
        var alert = new Alert(0, rule.ProjectId, rule.Id, device.Id, -lastReceived, now, "open", rule.Severity, Details(rule, device.Id, lastReceived, now), null, null);
        if (await store.TryRaiseAsync(alert, Math.Min(lastReceived, now - rule.CooldownSeconds * 1_000_000L), ct) is { } raised)
        {
            Log.Raised(logger, raised.Id, rule.Id, device.Id);
            webhooks.Nudge();
        }
    }

    private static string Details(Rule rule, long deviceId, long lastReceived, long now)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("rule");
            json.WriteNumber("id", rule.Id);
            json.WriteString("name", rule.Name);
            json.WriteString("type", rule.Type);
            json.WriteNumber("inactive_seconds", rule.InactiveSeconds!.Value);
            json.WriteNumber("cooldown_seconds", rule.CooldownSeconds);
            json.WriteString("scope", Rule.ScopeName(rule.Scope));
            json.WriteStringOrNull("tag", rule.Tag);
            json.WriteString("severity", rule.Severity);
            json.WriteEndObject();
            json.WriteStartObject("evaluation");
            json.WriteNumber("device_id", deviceId);
            json.WriteString("last_seen_at", Timestamps.Format(lastReceived));
            json.WriteNumber("silent_seconds", (now - lastReceived) / 1_000_000);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.InactivityAlertRaised, Level = LogLevel.Information, Message = "Alert {AlertId} raised by inactivity rule {RuleId} for device {DeviceId}")]
        public static partial void Raised(ILogger logger, long alertId, long ruleId, long deviceId);
    }
}
