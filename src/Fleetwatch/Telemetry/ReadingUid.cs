using System.Globalization;

namespace Fleetwatch.Telemetry;

/// <summary>
/// The telemetry backend's Reading ids are string UUIDs (its Flutter client reads <c>json['id'] as String</c>).
/// Fleetwatch's events have integer ids, shown as a version-8 ("custom") UUID that encodes the id, so the same
/// reading has the same UUID on every node and in every answer, with no column to store it. The first group,
/// 00000001, keeps them apart from device UUIDs (<see cref="Devices.DeviceUid"/>).
/// </summary>
public static class ReadingUid
{
    public static string Of(long eventId) =>
        string.Create(CultureInfo.InvariantCulture, $"00000001-{(ulong)eventId >> 48:x4}-8000-8000-{eventId & 0xFFFF_FFFF_FFFF:x12}");
}
