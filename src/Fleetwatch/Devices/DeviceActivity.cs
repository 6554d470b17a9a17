using Fleetwatch.Hosting;
using Fleetwatch.Model;

namespace Fleetwatch.Devices;

/// <summary>
/// When each device was last heard from (the receive time of its latest committed event, through any API and
/// any node), kept in memory and written to <c>devices.last_seen_at</c> every few seconds.
/// </summary>
public sealed class DeviceActivity(IDeviceStore store, DeviceRegistry devices, ILogger<DeviceActivity> logger)
    : LatestTimeRecorder<long>(logger), ICommitObserver
{
    protected override TimeSpan FlushInterval => TimeSpan.FromSeconds(10);

    public bool BeforeAcknowledgement => true;

    public void OnCommitted(CommittedBatch batch)
    {
        for (var i = 0; i < batch.Events.Length; i++)
        {
            var e = batch.Events[i];
            if (e.Kind.IsFromDevice() && !batch.Drafts[i].Backfill) Record(e.DeviceId, e.ReceivedMicros);
        }
    }

    public long? LastSeen(long deviceId) => Latest(deviceId, devices.Get(deviceId)?.LastSeenMicros);

    protected override Task WriteAsync(IReadOnlyCollection<KeyValuePair<long, long>> times, CancellationToken ct) => store.RecordLastSeenAsync(times, ct);
}
