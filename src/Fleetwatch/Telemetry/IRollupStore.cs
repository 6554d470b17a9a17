namespace Fleetwatch.Telemetry;

/// <summary>A rolled-up hour of a device: how many readings, the first and the last.</summary>
public sealed record RollupHour(long Hour, long Readings, long? FirstTs, long? LastTs);

/// <summary>A rolled-up hour of one metric of a device.</summary>
public sealed record RollupMetric(long Hour, int MetricId, long Count, double Sum, double Min, double Max, long FirstTs, long LastTs, long LastId, double LastValue);

public interface IRollupStore
{
    /// <summary>The hours of [<paramref name="fromHour"/>, <paramref name="toHour"/>] already rolled up for the device.</summary>
    Task<HashSet<long>> RolledUpHoursAsync(long deviceId, long fromHour, long toHour, CancellationToken ct);

    /// <summary>
    /// Rolls up the sealed hours [<paramref name="fromHour"/>, <paramref name="toHour"/>] from raw rows and stores
    /// them, unless a late write to the device committed after the rows were read: then nothing is stored, and
    /// the answer is false.
    /// </summary>
    Task<bool> MaterializeAsync(long deviceId, long fromHour, long toHour, CancellationToken ct);

    Task<(IReadOnlyList<RollupHour> Hours, IReadOnlyList<RollupMetric> Metrics)> ReadRollupsAsync(long deviceId, long fromHour, long toHour, int? metricId, CancellationToken ct);
}
