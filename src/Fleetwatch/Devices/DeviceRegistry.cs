using System.Collections.Concurrent;
using Fleetwatch.Ingest;
using Fleetwatch.Storage;

namespace Fleetwatch.Devices;

/// <summary>
/// Every device of every project, in memory: (project, external id) → device id and back. Loaded at start,
/// extended after each commit that created devices, so handlers resolve devices without a query.
/// </summary>
public sealed class DeviceRegistry : ICommitObserver
{
    private readonly ConcurrentDictionary<(long ProjectId, string ExternalId), long> _ids = new();
    private readonly ConcurrentDictionary<long, DeviceRecord> _byId = new();

    public int Count => _byId.Count;

    public async Task LoadAsync(IDeviceStore store, CancellationToken ct)
    {
        foreach (var device in await store.LoadDevicesAsync(ct)) Add(device);
    }

    public bool TryGetId(long projectId, string externalId, out long deviceId) => _ids.TryGetValue((projectId, externalId), out deviceId);

    public DeviceRecord? Get(long deviceId) => _byId.GetValueOrDefault(deviceId);

    public IEnumerable<DeviceRecord> InProject(long projectId) =>
        _byId.Values.Where(d => d.ProjectId == projectId).OrderBy(d => d.ExternalId, StringComparer.Ordinal);

    public void Add(DeviceRecord device)
    {
        _ids[(device.ProjectId, device.ExternalId)] = device.Id;
        _byId[device.Id] = device;
    }

    public void OnCommitted(CommittedBatch batch)
    {
        foreach (var device in batch.NewDevices) Add(new DeviceRecord(device.DeviceId, device.ProjectId, device.ExternalId));
    }
}
