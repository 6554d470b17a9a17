namespace Fleetwatch.Status;

/// <summary>The metric names a status stores: its wire names, so a status reads the same in every API.</summary>
public static class StatusFields
{
    public const string BatteryLevel = "battery_level";
    public const string Rssi = "rssi";
    public const string Online = "online";
}
