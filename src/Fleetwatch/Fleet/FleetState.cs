using System.Collections.Concurrent;
using Fleetwatch.Devices;
using Fleetwatch.Model;

namespace Fleetwatch.Fleet;

/// <summary>A device's fleet figures as the fleet API reports them (CONTRACTS.md §2).</summary>
public sealed record FleetStats(long Heartbeats, long DistinctMinutes, double Uptime, long Uploads, long AverageUploadNanoseconds);

/// <summary>
/// Per-device running state for uptime and average upload time: a minute bitmap, and an exact sum and count
/// of upload times. Rebuilt from the store at start and moved forward after each commit, so a device with a
/// year of heartbeats answers as fast as a new one.
/// </summary>
public sealed class FleetState : ICommitObserver
{
    public const string UploadTimeField = "upload_time";
    private const long MicrosPerMinute = 60_000_000;

    private readonly ConcurrentDictionary<long, DeviceState> _devices = new();

    public FleetState(DeviceRegistry devices) => devices.Removed += device => _devices.TryRemove(device.Id, out _);

    public bool BeforeAcknowledgement => true;

    public void OnCommitted(CommittedBatch batch)
    {
        foreach (var e in batch.Events) Apply(e.DeviceId, e.Kind, e.TsMicros, e.Get(UploadTimeField));
    }

    public void Apply(long deviceId, EventKind kind, long tsMicros, FieldValue? uploadTime)
    {
        if (kind == EventKind.Heartbeat) _devices.GetOrAdd(deviceId, _ => new DeviceState()).AddHeartbeat(MinuteOf(tsMicros));
        else if (kind == EventKind.UploadStat && uploadTime is { Tag: ValueTag.Int } value) _devices.GetOrAdd(deviceId, _ => new DeviceState()).AddUpload(value.Int);
    }

    /// <summary>Distinct heartbeat minutes of each UTC day from <paramref name="firstDay"/> (in minutes since the epoch), <paramref name="days"/> days; null without state.</summary>
    public long[]? MinutesPerDay(long deviceId, long firstDay, int days) =>
        _devices.TryGetValue(deviceId, out var state) ? state.MinutesPerDay(firstDay, days) : null;

    /// <summary>Null when the device has sent neither a heartbeat nor a stat.</summary>
    public FleetStats? Get(long deviceId) => _devices.TryGetValue(deviceId, out var state) ? state.Snapshot() : null;

    /// <summary>The UTC minute of a time, rounding down also before 1970.</summary>
    public static long MinuteOf(long micros) => micros >= 0 ? micros / MicrosPerMinute : -((-micros + MicrosPerMinute - 1) / MicrosPerMinute);

    /// <summary>
    /// Distinct heartbeat minutes ÷ whole minutes from the first to the last × 100: the span is exclusive, as
    /// in the original formula, so a heartbeat in every minute of both ends gives a little over 100. One minute
    /// (span 0) is 100; none is 0.
    /// </summary>
    public static double Uptime(long distinctMinutes, long firstMinute, long lastMinute)
    {
        if (distinctMinutes == 0) return 0;
        var span = lastMinute - firstMinute;
        return span == 0 ? 100.0 : distinctMinutes / (double)span * 100.0;
    }

    private sealed class DeviceState
    {
        private readonly Lock _lock = new();
        private readonly MinuteSet _minutes = new();
        private long _heartbeats;
        // The exact sum of int64 nanoseconds cannot overflow 128 bits for any realistic count.
        private Int128 _uploadSum;
        private long _uploads;

        public void AddHeartbeat(long minute)
        {
            lock (_lock)
            {
                _heartbeats++;
                _minutes.Add(minute);
            }
        }

        public void AddUpload(long nanoseconds)
        {
            lock (_lock)
            {
                _uploadSum += nanoseconds;
                _uploads++;
            }
        }

        public long[] MinutesPerDay(long firstDay, int days)
        {
            lock (_lock)
            {
                var result = new long[days];
                for (var i = 0; i < days; i++) result[i] = _minutes.CountBetween(firstDay + i * 1440L, firstDay + (i + 1) * 1440L);
                return result;
            }
        }

        public FleetStats Snapshot()
        {
            lock (_lock)
            {
                // Int128 division truncates toward zero, as the contract asks.
                var average = _uploads == 0 ? 0 : (long)(_uploadSum / _uploads);
                return new FleetStats(_heartbeats, _minutes.Count, Uptime(_minutes.Count, _minutes.First, _minutes.Last), _uploads, average);
            }
        }
    }
}
