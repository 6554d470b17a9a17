using Fleetwatch.Auth;

namespace Fleetwatch.Devices;

/// <summary><c>{device_id:long}</c> (the platform API's integer ids): the device, from memory, in whichever project it is.</summary>
public sealed class DeviceIdResolver(DeviceRegistry devices) : IScopeResolver
{
    public string Parameter => "device_id:long";
    public string Resource => "device";

    public ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct) =>
        ValueTask.FromResult<(long, object?)?>(long.TryParse(value, out var id) && devices.Find(scope, id) is { } device ? (device.ProjectId, device) : null);
}

/// <summary><c>{device_id}</c> of the single-tenant APIs (status, fleet, backend): the device's own string id, within the caller's project.</summary>
public sealed class ExternalDeviceIdResolver(DeviceRegistry devices) : IScopeResolver
{
    public string Parameter => "device_id";
    public string Resource => "device";

    public ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct) =>
        ValueTask.FromResult<(long, object?)?>(devices.Find(scope, value) is { } device ? (device.ProjectId, device) : null);
}
