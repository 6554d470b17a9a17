using Fleetwatch.Devices;
using Fleetwatch.Http;

namespace Fleetwatch.Platform;

/// <summary>A device as the platform API shows it; a device created implicitly is named after its external id.</summary>
public sealed record DeviceResponse(long Id, long ProjectId, string ExternalId, string Name, string[] Tags, string CreatedAt)
{
    public static DeviceResponse From(DeviceRecord device) =>
        new(device.Id, device.ProjectId, device.ExternalId, device.Name ?? device.ExternalId, device.Tags, Timestamps.Format(device.CreatedMicros));
}

/// <summary>Request bodies, for the API document.</summary>
public sealed record DeviceBody(string ExternalId, string Name, string[]? Tags);

public sealed record TagsBody(string[] Tags);

public sealed record DeviceTagsResponse(long DeviceId, string[] Tags);
