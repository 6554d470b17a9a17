using System.Data.Common;
using Fleetwatch.Model;
using Fleetwatch.Retention;

namespace Fleetwatch.Storage;

/// <summary>Retention on either engine: the same SQL, deleting in short statements so the writer never waits long.</summary>
public sealed class PortableRetentionStore(Func<CancellationToken, Task<DbConnection>> open, bool postgres) : PortableSql(open), IRetentionStore
{
    public async Task<IReadOnlyList<ProjectRetention>> ListAsync(CancellationToken ct) =>
        await QueryAsync("SELECT id, raw_retention_days, rollup_retention_days FROM projects", Read, ct);

    public async Task<ProjectRetention?> GetAsync(long projectId, CancellationToken ct) =>
        (await QueryAsync("SELECT id, raw_retention_days, rollup_retention_days FROM projects WHERE id = @id", Read, ct, ("id", projectId))).FirstOrDefault();

    private static ProjectRetention Read(DbDataReader r) =>
        new(r.GetInt64(0), r.IsDBNull(1) ? null : Convert.ToInt32(r.GetValue(1), null), r.IsDBNull(2) ? null : Convert.ToInt32(r.GetValue(2), null));

    public async Task<bool> SetAsync(ProjectRetention retention, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecuteAsync(connection, null, "UPDATE projects SET raw_retention_days = @raw, rollup_retention_days = @rollup WHERE id = @id", ct,
            ("id", retention.ProjectId), ("raw", retention.RawDays), ("rollup", retention.RollupDays)) == 1;
    }

    public async Task<bool> HasExpiredAsync(long deviceId, EventKind kind, long beforeMicros, CancellationToken ct) =>
        await ScalarAsync("SELECT 1 FROM events WHERE device_id = @device AND kind = @kind AND ts < @before LIMIT 1", ct,
            ("device", deviceId), ("kind", Kind(kind)), ("before", beforeMicros)) is not null;

    public async Task<int> PurgeEventsAsync(long deviceId, EventKind kind, long beforeMicros, int maxRows, CancellationToken ct)
    {
        var upTo = await PurgeBoundAsync(deviceId, kind, beforeMicros, maxRows, ct);
        await using var connection = await OpenAsync(ct);
        return await ExecuteAsync(connection, null, PurgeEventsSql, ct, ("device", deviceId), ("kind", Kind(kind)), ("upto", upTo));
    }

    /// <summary>
    /// The timestamp of the device's maxRows-th oldest expired event of the kind (just before the cutoff when there are
    /// fewer): deleting up to it is one short range of the (device, kind, ts) key. Asked apart from the delete, since a
    /// bound from a subquery inside it would not narrow the range SQLite scans, and every delete would walk all that
    /// had expired.
    /// </summary>
    public async Task<long> PurgeBoundAsync(long deviceId, EventKind kind, long beforeMicros, int maxRows, CancellationToken ct) =>
        await ScalarAsync("SELECT ts FROM events WHERE device_id = @device AND kind = @kind AND ts < @before ORDER BY ts LIMIT 1 OFFSET @skip", ct,
            ("device", deviceId), ("kind", Kind(kind)), ("before", beforeMicros), ("skip", maxRows - 1)) is { } ts ? Convert.ToInt64(ts, null) : beforeMicros - 1;

    public const string PurgeEventsSql = "DELETE FROM events WHERE device_id = @device AND kind = @kind AND ts <= @upto";

    private object Kind(EventKind kind) => postgres ? (short)kind : (int)kind;

    public async Task<int> PurgeRollupsAsync(long deviceId, long beforeHour, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, tx, "DELETE FROM rollup_hour_metrics WHERE device_id = @device AND hour < @before", ct, ("device", deviceId), ("before", beforeHour));
        var hours = await ExecuteAsync(connection, tx, "DELETE FROM rollup_hours WHERE device_id = @device AND hour < @before", ct, ("device", deviceId), ("before", beforeHour));
        await tx.CommitAsync(ct);
        return hours;
    }

    public async Task<long> DatabaseBytesAsync(CancellationToken ct) => Convert.ToInt64(await ScalarAsync(postgres
        ? "SELECT pg_database_size(current_database())"
        : "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", ct), null);
}
