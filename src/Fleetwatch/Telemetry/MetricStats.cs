namespace Fleetwatch.Telemetry;

/// <summary>Count, sum, min, max and the latest value of one metric over some events; merges associatively.</summary>
public sealed class MetricStats
{
    public long Count { get; private set; }
    public double Sum { get; private set; }
    public double Min { get; private set; } = double.PositiveInfinity;
    public double Max { get; private set; } = double.NegativeInfinity;
    public double Last { get; private set; }
    public long LastTs { get; private set; } = long.MinValue;
    public long LastId { get; private set; } = long.MinValue;
    public long FirstTs { get; private set; } = long.MaxValue;

    public double Average => Count == 0 ? 0 : Sum / Count;

    public void Add(double value, long ts, long id)
    {
        Count++;
        Sum += value;
        if (value < Min) Min = value;
        if (value > Max) Max = value;
        if (ts < FirstTs) FirstTs = ts;
        TakeLast(value, ts, id);
    }

    public void Merge(long count, double sum, double min, double max, long firstTs, double last, long lastTs, long lastId)
    {
        if (count == 0) return;
        Count += count;
        Sum += sum;
        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        FirstTs = Math.Min(FirstTs, firstTs);
        TakeLast(last, lastTs, lastId);
    }

    /// <summary>The latest value wins: greatest timestamp, ties to the later write.</summary>
    private void TakeLast(double value, long ts, long id)
    {
        if (ts < LastTs || (ts == LastTs && id <= LastId)) return;
        Last = value;
        LastTs = ts;
        LastId = id;
    }

    public static string? UnitOf(string metric) => metric switch
    {
        "temperature" => "°C",
        "humidity" => "%",
        "voltage" => "V",
        "battery_level" => "%",
        "rssi" => "dBm",
        "upload_time" => "ns",
        _ => null,
    };
}
