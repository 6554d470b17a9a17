using Fleetwatch.Storage;

namespace Fleetwatch.Telemetry;

/// <summary>
/// "Newest events of a device, any kind" as both engines run it fast: the events table is ordered by
/// (device, kind, ts), so each kind's newest rows are one short index scan, and only those few are merged
/// and sorted — never the device's whole history.
/// </summary>
public static class RecentEventsSql
{
    private static readonly EventKind[] Kinds = Enum.GetValues<EventKind>();

    /// <param name="parameter">How the engine names a parameter: <c>$d</c> on SQLite, <c>$1</c> on PostgreSQL.</param>
    public static string For(Func<string, string> parameter)
    {
        var perKind = Kinds.Select(kind => $"""
            SELECT * FROM (SELECT id, ts, received_at, kind, payload FROM events
                WHERE device_id = {parameter("device")} AND kind = {(int)kind} AND ts >= {parameter("from")}
                ORDER BY ts DESC, id DESC LIMIT {parameter("limit")}) AS k{(int)kind}
            """);
        return $"SELECT * FROM ({string.Join(" UNION ALL ", perKind)}) AS recent ORDER BY ts DESC, id DESC LIMIT {parameter("limit")}";
    }
}
