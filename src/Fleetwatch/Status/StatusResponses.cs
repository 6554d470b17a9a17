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

public sealed record SummaryDevice(string DeviceId, string Timestamp, int BatteryLevel, int Rssi, bool Online, string LastUpdate);

/// <summary>The body of <c>POST /status</c>, for the API document (the endpoint parses it in one pass).</summary>
public sealed record StatusBody(string DeviceId, string Timestamp, int BatteryLevel, int Rssi, bool Online);

public sealed record SummaryResponse(int TotalDevices, int OnlineDevices, int OfflineDevices, int AtRiskDevices, IReadOnlyList<SummaryDevice> Devices);

public sealed record AtRiskDevice(string DeviceId, string Timestamp, int BatteryLevel, int Rssi, bool Online, string LastUpdate, IReadOnlyList<string> Reasons);

public sealed record AtRiskResponse(int TotalDevices, int AtRiskDevices, IReadOnlyList<AtRiskDevice> RiskDevices);

public sealed record HistoryResponse(
    string DeviceId, IReadOnlyList<StatusRecordResponse> Statuses, IReadOnlyList<StatusRecordResponse> History,
    long TotalRecords, int Page, int PageSize, long TotalPages, bool HasMore);
