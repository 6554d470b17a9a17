using System.Text.Json.Serialization;
using Fleetwatch.Backend;
using Fleetwatch.Fleet;
using Fleetwatch.Platform;
using Fleetwatch.Status;

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
[JsonSerializable(typeof(Platform.RuleResponse))]
[JsonSerializable(typeof(Platform.RuleResponse[]))]
[JsonSerializable(typeof(Platform.WebhookResponse))]
[JsonSerializable(typeof(Platform.WebhookResponse[]))]
[JsonSerializable(typeof(Platform.CircuitStatusResponse))]
[JsonSerializable(typeof(Platform.WebhookTestResponse))]
[JsonSerializable(typeof(Platform.DeliveryResponse[]))]
[JsonSerializable(typeof(Platform.AttemptResponse[]))]
[JsonSerializable(typeof(Auth.MeResponse))]
[JsonSerializable(typeof(BackendDevicesApi.RegisteredDevice))]
[JsonSerializable(typeof(BackendDevicesApi.RotatedKey))]
[JsonSerializable(typeof(BackendDevicesApi.BackendDevice))]
[JsonSerializable(typeof(Connectivity.ConnectivityApi.ProjectConnectivity))]
[JsonSerializable(typeof(Connectivity.ConnectivityApi.DeviceConnectivity))]
[JsonSerializable(typeof(Connectivity.ConnectivityApi.TransitionsResponse))]
public sealed partial class FleetwatchJsonContext : JsonSerializerContext;
