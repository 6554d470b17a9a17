using System.Globalization;

namespace Fleetwatch.Devices;

/// <summary>
/// The telemetry backend names devices by UUID. Fleetwatch's devices have integer ids, shown to those clients as
/// a UUID that encodes the id (version 8, "custom"), so it is stable, unique and reversible without a column.
/// </summary>
public static class DeviceUid
{
    public static string Of(long deviceId) => string.Create(CultureInfo.InvariantCulture, $"00000000-0000-8000-8000-{deviceId:x12}");
}
