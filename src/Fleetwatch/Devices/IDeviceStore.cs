namespace Fleetwatch.Devices;

/// <summary>
/// A device of a project. <see cref="Name"/> is null for devices created implicitly by a status or heartbeat.
/// <see cref="LastSeenMicros"/> is as last written to the database; <see cref="DeviceActivity"/> has the live value.
/// <see cref="InactivityTimeoutSeconds"/> overrides the project's (null: the project's, or the server's default).
/// </summary>
public sealed record DeviceRecord(long Id, long ProjectId, string ExternalId, string? Name, string[] Tags, long CreatedMicros,
    long? DeactivatedMicros = null, long? LastSeenMicros = null, int? InactivityTimeoutSeconds = null)
{
    public bool IsActive => DeactivatedMicros is null;

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

    /// <summary>Marks the device inactive (its data stays); true when it was active.</summary>
    Task<bool> DeactivateDeviceAsync(long deviceId, CancellationToken ct);

    /// <summary>Moves each device's <c>last_seen_at</c> forward (never back).</summary>
    Task RecordLastSeenAsync(IReadOnlyCollection<KeyValuePair<long, long>> lastSeenByDevice, CancellationToken ct);

    /// <summary>
    /// Tells running servers that devices were registered outside them (a command beside them): on PostgreSQL a
    /// notification, on SQLite a counter they watch (<see cref="DevicesVersionAsync"/>).
    /// </summary>
    Task AnnounceDevicesChangedAsync(CancellationToken ct);

    /// <summary>The counter <see cref="AnnounceDevicesChangedAsync"/> moves on SQLite (0 on PostgreSQL, which notifies).</summary>
    Task<long> DevicesVersionAsync(CancellationToken ct);
}
