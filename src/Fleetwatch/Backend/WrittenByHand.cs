using System.Text.Json;

namespace Fleetwatch.Backend;

// Shapes the backend API writes by hand, described here for the API document only.

/// <summary>The original's envelope around every success: <c>data</c> is the answer, <c>error</c> and <c>code</c> are null.</summary>
public sealed record Enveloped<T>(bool Success, T Data, string? Error, string? Code, string Timestamp);

/// <summary>A reading: <c>id</c> a stable string UUID of the stored event, <c>metrics</c> its numeric fields.</summary>
public sealed record ReadingResponse(string Id, string DeviceId, Dictionary<string, double> Metrics, string Timestamp);

/// <summary>A device of the list, with how many readings it has and its latest.</summary>
public sealed record ListedDevice(string Id, string DeviceId, string Name, bool IsActive, string CreatedAt, string? LastSeenAt, long ReadingCount,
    ReadingResponse? LatestReading);

/// <summary>
/// Per metric, one more property named after it: <c>{min, max, avg, sum, count, last, unit}</c>. With <c>bucket=</c>, the
/// buckets too, each with its start, reading count and the same figures per metric.
/// </summary>
public sealed record AggregateResponse(string DeviceId, AggregateRange TimeRange, long ReadingCount, string? FirstReading, string? LastReading,
    string? Bucket, string? Source, JsonElement[]? Buckets);

public sealed record AggregateRange(string Start, string End);

/// <summary>One frame of a live stream: <c>ack</c> on connect, then a <c>reading</c> per committed event (or <c>gap</c> after lost ones).</summary>
public sealed record StreamFrame(string Type, string? DeviceId, string? Kind, ReadingResponse? Data, string? Message, long? Dropped);
