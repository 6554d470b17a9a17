namespace Fleetwatch.Telemetry;

/// <summary>A rolled-up hour of a device: how many readings, the first and the last.</summary>
public sealed record RollupHour(long Hour, long Readings, long? FirstTs, long? LastTs);

/// <summary>A rolled-up hour of one metric of a device.</summary>
public sealed record RollupMetric(long Hour, int MetricId, long Count, double Sum, double Min, double Max, long FirstTs, long LastTs, long LastId, double LastValue);

/// <summary>Hours [<see cref="FromHour"/>, <see cref="ToHour"/>] (hour starts, in µs) of one device.</summary>
public readonly record struct RollupSpan(long DeviceId, long FromHour, long ToHour);

public interface IRollupStore
{
    /// <summary>The hours of [<paramref name="fromHour"/>, <paramref name="toHour"/>] already rolled up for the device.</summary>
    Task<HashSet<long>> RolledUpHoursAsync(long deviceId, long fromHour, long toHour, CancellationToken ct);

    /// <summary>
    /// Rolls up each span's sealed hours from raw rows and stores them — many devices in one read and one write
    /// transaction, as when an hour seals for a whole fleet — except the spans of devices a late write reached
    /// after the rows were read: those are stored not at all, and returned.
    /// </summary>
    Task<IReadOnlyList<RollupSpan>> MaterializeAsync(IReadOnlyList<RollupSpan> spans, CancellationToken ct);

    Task<(IReadOnlyList<RollupHour> Hours, IReadOnlyList<RollupMetric> Metrics)> ReadRollupsAsync(long deviceId, long fromHour, long toHour, int? metricId, CancellationToken ct);
}
