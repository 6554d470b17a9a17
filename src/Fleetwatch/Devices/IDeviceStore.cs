namespace Fleetwatch.Devices;

public sealed record DeviceRecord(long Id, long ProjectId, string ExternalId);

public interface IDeviceStore
{
    Task<IReadOnlyList<DeviceRecord>> LoadDevicesAsync(CancellationToken ct);
}
