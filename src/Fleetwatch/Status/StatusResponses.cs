using Fleetwatch.Http;
using Fleetwatch.Model;

namespace Fleetwatch.Status;

// Wire shapes of the device-status API: the superset bodies of CONTRACTS.md §1, so clients of both
// original services read what they expect. Names are snake_case through the JSON context.

public sealed record StatusRecordResponse(long Id, string DeviceId, string Timestamp, int BatteryLevel, int Rssi, bool Online, string CreatedAt, string LastUpdated)
{
    public static StatusRecordResponse From(string deviceId, StoredEvent e)
    {
        var created = Timestamps.Format(e.ReceivedMicros);
        return new(e.Id, deviceId, Timestamps.Format(e.TsMicros), (int)(e.Get(StatusFields.BatteryLevel)?.Int ?? 0),
            (int)(e.Get(StatusFields.Rssi)?.Int ?? 0), e.Get(StatusFields.Online)?.Tag == ValueTag.True, created, created);
    }

    public static StatusRecordResponse From(LatestStatus s)
    {
        var created = Timestamps.Format(s.ReceivedMicros);
        return new(s.EventId, s.ExternalId, Timestamps.Format(s.TsMicros), s.BatteryLevel, s.Rssi, s.Online, created, created);
    }
}

/// <param name="Online">What the device last reported (its own flag).</param>
/// <param name="Connectivity">Fleetwatch's own: active while the server has received anything from the device within its inactivity timeout, else inactive.</param>
/// <param name="LastSeenAt">Fleetwatch's own: the server's receive time of the device's latest event, of any kind.</param>
public sealed record SummaryDevice(string DeviceId, string Timestamp, int BatteryLevel, int Rssi, bool Online, string LastUpdate,
    string Connectivity = "inactive", string? LastSeenAt = null);

/// <summary>The body of <c>POST /status</c>, for the API document (the endpoint parses it in one pass).</summary>
/// <param name="DeviceId">1 to 128 characters.</param>
/// <param name="Timestamp">ISO 8601, the device's own time; without an offset it is UTC.</param>
/// <param name="BatteryLevel">0 to 100.</param>
/// <param name="Rssi">Signal strength in dBm, −200 to 50.</param>
public sealed record StatusBody(string DeviceId, string Timestamp, int BatteryLevel, int Rssi, bool Online)
{
    public const string Example = """{"device_id":"sensor-1","timestamp":"2024-06-14T10:00:00Z","battery_level":90,"rssi":-50,"online":true}""";
}

/// <param name="ActiveDevices">Of the devices listed, those active (see <see cref="SummaryDevice.Connectivity"/>).</param>
public sealed record SummaryResponse(int TotalDevices, int OnlineDevices, int OfflineDevices, int AtRiskDevices, IReadOnlyList<SummaryDevice> Devices,
    int ActiveDevices, int InactiveDevices);

public sealed record AtRiskDevice(string DeviceId, string Timestamp, int BatteryLevel, int Rssi, bool Online, string LastUpdate, IReadOnlyList<string> Reasons,
    string Connectivity, string? LastSeenAt);

public sealed record AtRiskResponse(int TotalDevices, int AtRiskDevices, IReadOnlyList<AtRiskDevice> RiskDevices);

public sealed record HistoryResponse(
    string DeviceId, IReadOnlyList<StatusRecordResponse> Statuses, IReadOnlyList<StatusRecordResponse> History,
    long TotalRecords, int Page, int PageSize, long TotalPages, bool HasMore);
