using System.Text.Json.Serialization;
using Fleetwatch.Status;

namespace Fleetwatch.Hosting;

/// <summary>Source-generated serialisation for every wire type: no reflection, and snake_case names as the original services used.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StatusRecordResponse))]
[JsonSerializable(typeof(SummaryResponse))]
[JsonSerializable(typeof(AtRiskResponse))]
[JsonSerializable(typeof(HistoryResponse))]
[JsonSerializable(typeof(HealthResponse))]
public sealed partial class FleetwatchJsonContext : JsonSerializerContext;
