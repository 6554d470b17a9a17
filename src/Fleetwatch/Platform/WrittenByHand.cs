using System.Text.Json;

namespace Fleetwatch.Platform;

// Shapes the platform API writes by hand (payloads have no fixed shape), described here for the API document only.

/// <summary>An event of a device, whichever API stored it: <c>kind</c> is measurement, status, heartbeat or upload_stat, <c>payload</c> its fields.</summary>
public sealed record EventResponse(long Id, long DeviceId, string Ts, string Kind, Dictionary<string, JsonElement> Payload);

/// <summary>An alert: <c>details</c> holds the rule as it was when it fired and the evaluation (matches, considered readings, latest value).</summary>
public sealed record AlertResponse(long Id, long ProjectId, long DeviceId, long RuleId, string TriggeredAt, JsonElement Details, string State, string Severity,
    string? AcknowledgedAt, string? ResolvedAt);
