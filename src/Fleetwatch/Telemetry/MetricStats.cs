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
    private long _lastId = long.MinValue;

    public double Average => Count == 0 ? 0 : Sum / Count;

    public void Add(double value, long ts, long id)
    {
        Count++;
        Sum += value;
        if (value < Min) Min = value;
        if (value > Max) Max = value;
        if (ts > LastTs || (ts == LastTs && id > _lastId))
        {
            Last = value;
            LastTs = ts;
            _lastId = id;
        }
    }

    public void Merge(long count, double sum, double min, double max, double last, long lastTs, long lastId)
    {
        if (count == 0) return;
        Count += count;
        Sum += sum;
        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        if (lastTs > LastTs || (lastTs == LastTs && lastId > _lastId))
        {
            Last = last;
            LastTs = lastTs;
            _lastId = lastId;
        }
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
