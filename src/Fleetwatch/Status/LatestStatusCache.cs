using System.Collections.Concurrent;
using Fleetwatch.Devices;
using Fleetwatch.Http;
using Fleetwatch.Model;

namespace Fleetwatch.Status;

public sealed record LatestStatus(long DeviceId, string ExternalId, long EventId, long TsMicros, long ReceivedMicros, int BatteryLevel, int Rssi, bool Online)
{
    private SummaryDevice? _summary;

    // Built once per status change, not once per summary request (a 10k-device summary only serialises), and not at
    // start for every device (100k formatted timestamps were a third of loading the latest statuses).
    public SummaryDevice AsSummary => _summary ??= new(ExternalId, Timestamps.Format(TsMicros), BatteryLevel, Rssi, Online, Timestamps.Format(TsMicros));
}

/// <summary>
/// The latest status of every device, in memory: found from the events at start, moved forward
/// after each commit. Latest-status and summary requests never touch the database.
/// </summary>
public sealed class LatestStatusCache : ICommitObserver
{
    private readonly ConcurrentDictionary<long, ProjectStatuses> _projects = new();

    public LatestStatusCache(DeviceRegistry devices) =>
        devices.Removed += device => { if (_projects.TryGetValue(device.ProjectId, out var project)) project.Remove(device.Id); };

    public async Task LoadAsync(IStatusStore store, DeviceRegistry devices, MetricDictionary metrics, CancellationToken ct)
    {
        foreach (var e in await store.LoadLatestStatusesAsync(metrics, ct))
        {
            if (devices.Get(e.DeviceId) is { } device) Offer(device.ProjectId, device.ExternalId, e);
        }
    }

    public LatestStatus? Get(long projectId, long deviceId) =>
        _projects.TryGetValue(projectId, out var project) ? project.Get(deviceId) : null;

    /// <summary>The projects that have devices with a status.</summary>
    public IEnumerable<long> Projects => _projects.Keys;

    public IReadOnlyList<LatestStatus> Snapshot(long projectId) =>
        _projects.TryGetValue(projectId, out var project) ? project.Snapshot() : [];

    public bool BeforeAcknowledgement => true;

    public void OnCommitted(CommittedBatch batch)
    {
        foreach (var i in EventOrdering.LatestStatusPerDevice(batch.Events).Values)
        {
            Offer(batch.Drafts[i].ProjectId, batch.Drafts[i].ExternalId, batch.Events[i]);
        }
    }

    private void Offer(long projectId, string externalId, StoredEvent e)
    {
        var status = new LatestStatus(e.DeviceId, externalId, e.Id, e.TsMicros, e.ReceivedMicros,
            (int)(e.Get(StatusFields.BatteryLevel)?.Int ?? 0), (int)(e.Get(StatusFields.Rssi)?.Int ?? 0),
            e.Get(StatusFields.Online)?.Tag == ValueTag.True);
        _projects.GetOrAdd(projectId, _ => new ProjectStatuses()).Offer(status);
    }

    private sealed class ProjectStatuses
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<long, LatestStatus> _byDevice = [];
        private LatestStatus[]? _sorted;

        public LatestStatus? Get(long deviceId)
        {
            lock (_lock) return _byDevice.GetValueOrDefault(deviceId);
        }

        public void Offer(LatestStatus status)
        {
            lock (_lock)
            {
                if (_byDevice.TryGetValue(status.DeviceId, out var current)
                    && !EventOrdering.IsLater(status.TsMicros, status.EventId, current.TsMicros, current.EventId))
                    return;
                _byDevice[status.DeviceId] = status;
                _sorted = null;
            }
        }

        public void Remove(long deviceId)
        {
            lock (_lock)
            {
                if (_byDevice.Remove(deviceId)) _sorted = null;
            }
        }

        public LatestStatus[] Snapshot()
        {
            lock (_lock)
            {
                if (_sorted is null)
                {
                    _sorted = [.. _byDevice.Values];
                    Array.Sort(_sorted, (a, b) => string.CompareOrdinal(a.ExternalId, b.ExternalId));
                }
                return _sorted;
            }
        }
    }
}
