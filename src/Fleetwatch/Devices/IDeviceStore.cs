namespace Fleetwatch.Devices;

/// <summary>A device of a project. <see cref="Name"/> is null for devices created implicitly by a status or heartbeat.</summary>
public sealed record DeviceRecord(long Id, long ProjectId, string ExternalId, string? Name, string[] Tags, long CreatedMicros)
{
    public bool HasTag(string tag) => Array.BinarySearch(Tags, tag, StringComparer.Ordinal) >= 0;
}

public interface IDeviceStore
{
    Task<IReadOnlyList<DeviceRecord>> LoadDevicesAsync(CancellationToken ct);

    Task<DeviceRecord?> FindDeviceAsync(long deviceId, CancellationToken ct);

    /// <summary>Registers the devices that do not exist yet (importing the same list twice is harmless); returns all of them.</summary>
    Task<IReadOnlyList<DeviceRecord>> EnsureDevicesAsync(long projectId, IReadOnlyList<string> externalIds, CancellationToken ct);

    /// <summary>Null when the project already has a device with that external id.</summary>
    Task<DeviceRecord?> CreateDeviceAsync(long projectId, string externalId, string name, string[] tags, CancellationToken ct);

    Task<bool> SetTagsAsync(long deviceId, string[] tags, CancellationToken ct);

    /// <summary>Deletes the device with all its events.</summary>
    Task<bool> DeleteDeviceAsync(long deviceId, CancellationToken ct);
}
