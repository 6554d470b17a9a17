using System.Collections.Concurrent;
using Fleetwatch.Model;

namespace Fleetwatch.Telemetry;

/// <summary>
/// One page of a device's events: some kinds, a time range (inclusive), an order, and a keyset cursor —
/// strictly after (<see cref="AfterTs"/>, <see cref="AfterId"/>) in that order — so page 10,000 costs what
/// page 1 does (no OFFSET).
/// </summary>
public sealed record EventQuery(long DeviceId, EventKind[] Kinds, long FromMicros, long ToMicros, bool Ascending, int Limit, long AfterTs, long AfterId)
{
    /// <summary>Everything a device sent; the server's own connectivity transitions have their own history.</summary>
    public static readonly EventKind[] FromDevices = [.. Enum.GetValues<EventKind>().Where(k => k.IsFromDevice())];
    /// <summary>Events that carry values: everything but bare heartbeats.</summary>
    public static readonly EventKind[] Readings = [EventKind.Status, EventKind.UploadStat, EventKind.Measurement];

    public static EventQuery Page(long deviceId, EventKind[] kinds, long fromMicros, long toMicros, bool ascending, int limit) =>
        new(deviceId, kinds, fromMicros, toMicros, ascending, limit, ascending ? long.MinValue : long.MaxValue, ascending ? long.MinValue : long.MaxValue);

    public EventQuery After(StoredEvent last) => this with { AfterTs = last.TsMicros, AfterId = last.Id };

    /// <summary>
    /// The time range narrowed to the cursor, so the index range starts at the cursor and not at the range's start:
    /// without this, page N would scan every row of the pages before it.
    /// </summary>
    public (long From, long To) EffectiveRange => Ascending
        ? (Math.Max(FromMicros, AfterTs), ToMicros)
        : (FromMicros, Math.Min(ToMicros, AfterTs));
}

/// <summary>
/// The page query as both engines run it fast: the events table is ordered by (device, kind, ts), so each
/// kind's page is one short index scan; only those few rows are merged and sorted, never the device's history.
/// </summary>
public static class EventQuerySql
{
    private static readonly ConcurrentDictionary<(string Engine, string Kinds, bool Ascending), string> Cache = new();

    /// <param name="parameter">How the engine names a parameter: <c>$device</c> on SQLite, <c>$1</c> on PostgreSQL.</param>
    public static string For(string engine, EventKind[] kinds, bool ascending, Func<string, string> parameter) =>
        Cache.GetOrAdd((engine, string.Join(',', kinds), ascending), _ =>
        {
            var (order, after) = ascending ? ("ASC", ">") : ("DESC", "<");
            // The BETWEEN bounds (narrowed to the cursor, see EffectiveRange) give the index range; the row
            // comparison only skips the rows of the cursor's own timestamp already served.
            var perKind = kinds.Select(kind => $"""
                SELECT * FROM (SELECT id, ts, received_at, kind, payload FROM events
                    WHERE device_id = {parameter("device")} AND kind = {(int)kind} AND ts BETWEEN {parameter("from")} AND {parameter("to")}
                      AND (ts, id) {after} ({parameter("ts")}, {parameter("id")})
                    ORDER BY ts {order}, id {order} LIMIT {parameter("limit")}) AS k{(int)kind}
                """);
            return $"SELECT * FROM ({string.Join(" UNION ALL ", perKind)}) AS page ORDER BY ts {order}, id {order} LIMIT {parameter("limit")}";
        });
}
