using System.Text.Json.Serialization;
using Fleetwatch.Fleet;
using Fleetwatch.Status;

namespace Fleetwatch.Hosting;

/// <summary>Source-generated serialisation for every wire type: no reflection, and snake_case names as the original services used.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StatusRecordResponse))]
[JsonSerializable(typeof(SummaryResponse))]
[JsonSerializable(typeof(AtRiskResponse))]
[JsonSerializable(typeof(HistoryResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(FleetStatsResponse))]
[JsonSerializable(typeof(DebugStatsResponse))]
[JsonSerializable(typeof(FleetApi.RootResponse))]
[JsonSerializable(typeof(FleetApi.DebugDevice[]))]
public sealed partial class FleetwatchJsonContext : JsonSerializerContext;
