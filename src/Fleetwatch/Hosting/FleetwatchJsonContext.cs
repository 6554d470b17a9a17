using System.Text.Json.Serialization;
using Fleetwatch.Devices;
using Fleetwatch.Fleet;
using Fleetwatch.Status;
using Fleetwatch.Telemetry;
using Fleetwatch.Tenants;

namespace Fleetwatch.Hosting;

/// <summary>Source-generated serialisation for every wire type: no reflection, and snake_case names as the original services used.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StatusRecordResponse))]
[JsonSerializable(typeof(SummaryResponse))]
[JsonSerializable(typeof(AtRiskResponse))]
[JsonSerializable(typeof(HistoryResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(DbHealthResponse))]
[JsonSerializable(typeof(BackendHealthResponse))]
[JsonSerializable(typeof(FleetStatsResponse))]
[JsonSerializable(typeof(DailyUptimeResponse))]
[JsonSerializable(typeof(DebugStatsResponse))]
[JsonSerializable(typeof(FleetApi.RootResponse))]
[JsonSerializable(typeof(FleetApi.DebugDevice[]))]
[JsonSerializable(typeof(OrgResponse))]
[JsonSerializable(typeof(OrgResponse[]))]
[JsonSerializable(typeof(ProjectResponse))]
[JsonSerializable(typeof(ProjectResponse[]))]
[JsonSerializable(typeof(CreatedKeyResponse))]
[JsonSerializable(typeof(KeyResponse[]))]
[JsonSerializable(typeof(DeviceResponse))]
[JsonSerializable(typeof(DeviceResponse[]))]
[JsonSerializable(typeof(DeviceTagsResponse))]
[JsonSerializable(typeof(FleetOverviewApi.FleetOverview))]
[JsonSerializable(typeof(TelemetryApi.Accepted))]
[JsonSerializable(typeof(Rules.RuleResponse))]
[JsonSerializable(typeof(Rules.RuleResponse[]))]
[JsonSerializable(typeof(Webhooks.WebhookResponse))]
[JsonSerializable(typeof(Webhooks.WebhookResponse[]))]
[JsonSerializable(typeof(Webhooks.CircuitStatusResponse))]
[JsonSerializable(typeof(Webhooks.DeliveryResponse[]))]
[JsonSerializable(typeof(Webhooks.AttemptResponse[]))]
[JsonSerializable(typeof(Dashboard.MeResponse))]
[JsonSerializable(typeof(BackendDevicesApi.RegisteredDevice))]
[JsonSerializable(typeof(BackendDevicesApi.RotatedKey))]
[JsonSerializable(typeof(BackendDevicesApi.BackendDevice))]
public sealed partial class FleetwatchJsonContext : JsonSerializerContext;
