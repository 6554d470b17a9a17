using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Storage;
using Fleetwatch.Storage.Sqlite;

namespace Fleetwatch.Retention;

/// <summary>
/// SQLite's retention: its deletes take turns with the ingest batches on the one writer (see
/// <see cref="IngestWriter.BetweenBatchesAsync"/>) — from a connection of their own they would wait for the file's lock,
/// which the writer under steady load hardly ever lets go. Reads go to the portable store.
/// </summary>
public sealed class WriterTurnRetentionStore(PortableRetentionStore inner, SqliteStore sqlite, IngestWriter writer) : IRetentionStore
{
    public Task<IReadOnlyList<ProjectRetention>> ListAsync(CancellationToken ct) => inner.ListAsync(ct);

    public Task<ProjectRetention?> GetAsync(long projectId, CancellationToken ct) => inner.GetAsync(projectId, ct);

    public Task<bool> SetAsync(ProjectRetention retention, CancellationToken ct) => inner.SetAsync(retention, ct);

    public Task<long> DatabaseBytesAsync(CancellationToken ct) => inner.DatabaseBytesAsync(ct);

    public Task<int> PurgeEventsAsync(long deviceId, EventKind kind, long beforeMicros, int maxRows, CancellationToken ct) =>
        writer.BetweenBatchesAsync(() => sqlite.ExecuteOnWriter(PortableRetentionStore.PurgeEventsSql,
            ("@device", deviceId), ("@kind", (int)kind), ("@before", beforeMicros), ("@skip", maxRows - 1)), ct);

    public Task<int> PurgeRollupsAsync(long deviceId, long beforeHour, CancellationToken ct) =>
        writer.BetweenBatchesAsync(() =>
        {
            sqlite.ExecuteOnWriter("DELETE FROM rollup_hour_metrics WHERE device_id = @device AND hour < @before", ("@device", deviceId), ("@before", beforeHour));
            return sqlite.ExecuteOnWriter("DELETE FROM rollup_hours WHERE device_id = @device AND hour < @before", ("@device", deviceId), ("@before", beforeHour));
        }, ct);
}
