namespace Fleetwatch.Devices;

public sealed record DeviceRecord(long Id, long ProjectId, string ExternalId);

public interface IDeviceStore
{
    Task<IReadOnlyList<DeviceRecord>> LoadDevicesAsync(CancellationToken ct);

    /// <summary>Registers the devices that do not exist yet (importing the same list twice is harmless); returns all of them.</summary>
    Task<IReadOnlyList<DeviceRecord>> EnsureDevicesAsync(long projectId, IReadOnlyList<string> externalIds, CancellationToken ct);
}
