using System.Collections.Concurrent;
using System.Globalization;
using Fleetwatch.Model;

namespace Fleetwatch.Devices;

/// <summary>
/// Every device of every project, in memory: (project, external id) → device and back. Loaded at start,
/// extended after each commit that created devices, and refreshed when any node announces a device change,
/// so handlers resolve devices without a query.
/// </summary>
public sealed class DeviceRegistry : ICommitObserver
{
    private readonly ConcurrentDictionary<(long ProjectId, string ExternalId), long> _ids = new();
    private readonly ConcurrentDictionary<long, DeviceRecord> _byId = new();
    private readonly IDeviceStore _store;

    public DeviceRegistry(IDeviceStore store, ChangeBus changes)
    {
        _store = store;
        changes.Subscribe(ChangeBus.DeviceTopic, RefreshAsync);
        changes.Subscribe(ChangeBus.ResyncTopic, (_, ct) => LoadAsync(ct));
        changes.Subscribe(ChangeBus.DevicesTopic, (_, ct) => LoadAsync(ct));
    }

    /// <summary>Raised after a device was deleted, so the state kept per device can be dropped.</summary>
    public event Action<DeviceRecord>? Removed;

    public int Count => _byId.Count;

    /// <summary>Loads every device; on a reload, devices deleted meanwhile are dropped.</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        var loaded = await _store.LoadDevicesAsync(ct);
        foreach (var device in loaded) Add(device);
        var present = loaded.Select(d => d.Id).ToHashSet();
        foreach (var gone in _byId.Values.Where(d => !present.Contains(d.Id)).ToList())
        {
            _byId.TryRemove(gone.Id, out _);
            _ids.TryRemove((gone.ProjectId, gone.ExternalId), out _);
            Removed?.Invoke(gone);
        }
    }

    public bool TryGetId(long projectId, string externalId, out long deviceId) => _ids.TryGetValue((projectId, externalId), out deviceId);

    /// <summary>The device if this caller may see it at all: in a project it sees, and its own device for a device key.</summary>
    public DeviceRecord? Find(Auth.Scope scope, long deviceId) =>
        Get(deviceId) is { } device && scope.Caller.CanSee(device.ProjectId) && (scope.Caller.DeviceId is not { } own || own == device.Id) ? device : null;

    /// <summary>A device by its own string id, in the request's project, if this caller may see it.</summary>
    public DeviceRecord? Find(Auth.Scope scope, string externalId) => TryGetId(scope.ProjectId, externalId, out var id) ? Find(scope, id) : null;

    /// <summary>
    /// The device a write names in its body, in the request's project (0 when the write will create it); false when the
    /// caller holds another device's key.
    /// </summary>
    public bool TryFindWritable(Auth.Scope scope, string externalId, out long deviceId)
    {
        TryGetId(scope.ProjectId, externalId, out deviceId);
        return scope.Caller.MayWriteTo(deviceId);
    }

    public DeviceRecord? Get(long deviceId) => _byId.GetValueOrDefault(deviceId);

    /// <summary>The device if it belongs to <paramref name="projectId"/>; another project's device is as good as missing.</summary>
    public DeviceRecord? Get(long projectId, long deviceId) => Get(deviceId) is { } device && device.ProjectId == projectId ? device : null;

    /// <summary>How many devices each project has; one pass over the registry (a scrape's worth of work).</summary>
    public Dictionary<long, int> CountPerProject()
    {
        var counts = new Dictionary<long, int>();
        foreach (var device in _byId.Values) counts[device.ProjectId] = counts.GetValueOrDefault(device.ProjectId) + 1;
        return counts;
    }

    /// <summary>Every device of every project, in no order.</summary>
    public IEnumerable<DeviceRecord> All() => _byId.Values;

    public IEnumerable<DeviceRecord> InProject(long projectId) =>
        _byId.Values.Where(d => d.ProjectId == projectId).OrderBy(d => d.ExternalId, StringComparer.Ordinal);

    public void Add(DeviceRecord device)
    {
        _ids[(device.ProjectId, device.ExternalId)] = device.Id;
        _byId[device.Id] = device;
    }

    public bool BeforeAcknowledgement => true;

    public void OnCommitted(CommittedBatch batch)
    {
        if (batch.NewDevices.Length == 0) return;
        var created = batch.Events.Length > 0 ? batch.Events[0].ReceivedMicros : Clock.NowMicros();
        foreach (var device in batch.NewDevices)
        {
            // A device made through the platform API in the meantime keeps its name and tags.
            if (!_byId.ContainsKey(device.DeviceId)) Add(new DeviceRecord(device.DeviceId, device.ProjectId, device.ExternalId, null, [], created));
        }
    }

    private async Task RefreshAsync(string value, CancellationToken ct)
    {
        var id = long.Parse(value, CultureInfo.InvariantCulture);
        if (await _store.FindDeviceAsync(id, ct) is { } device) Add(device);
        else if (_byId.TryRemove(id, out var removed))
        {
            _ids.TryRemove((removed.ProjectId, removed.ExternalId), out _);
            Removed?.Invoke(removed);
        }
    }
}
