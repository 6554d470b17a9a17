using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Storage;
using Fleetwatch.Storage.Sqlite;

namespace Fleetwatch.Retention;

/// <summary>
/// SQLite's retention: its deletes take turns with the ingest batches on the one writer (see
/// <see cref="IngestWriter.BetweenBatchesAsync"/>) — from a connection of their own they would wait for the file's lock,
/// which the writer under steady load hardly ever lets go. (<see cref="RetentionService"/> paces them while ingest goes
/// on.) Reads go to the portable store.
/// </summary>
public sealed class WriterTurnRetentionStore(PortableRetentionStore inner, SqliteStore sqlite, IngestWriter writer) : IRetentionStore
{
    public Task<IReadOnlyList<ProjectRetention>> ListAsync(CancellationToken ct) => inner.ListAsync(ct);

    public Task<ProjectRetention?> GetAsync(long projectId, CancellationToken ct) => inner.GetAsync(projectId, ct);

    public Task<bool> SetAsync(ProjectRetention retention, CancellationToken ct) => inner.SetAsync(retention, ct);

    public Task<long> DatabaseBytesAsync(CancellationToken ct) => inner.DatabaseBytesAsync(ct);

    public Task<bool> HasExpiredAsync(long deviceId, EventKind kind, long beforeMicros, CancellationToken ct) => inner.HasExpiredAsync(deviceId, kind, beforeMicros, ct);

    public async Task<int> PurgeEventsAsync(long deviceId, EventKind kind, long beforeMicros, int maxRows, CancellationToken ct)
    {
        // The bound is read beside the writer; only the delete takes a turn.
        var upTo = await inner.PurgeBoundAsync(deviceId, kind, beforeMicros, maxRows, ct);
        return await writer.BetweenBatchesAsync(() =>
            sqlite.DeleteOnWriter(PortableRetentionStore.PurgeEventsSql, ("@device", deviceId), ("@kind", (int)kind), ("@upto", upTo)), ct);
    }

    public Task<int> PurgeRollupsAsync(long deviceId, long beforeHour, CancellationToken ct) =>
        writer.BetweenBatchesAsync(() =>
        {
            sqlite.DeleteOnWriter("DELETE FROM rollup_hour_metrics WHERE device_id = @device AND hour < @before", ("@device", deviceId), ("@before", beforeHour));
            return sqlite.DeleteOnWriter("DELETE FROM rollup_hours WHERE device_id = @device AND hour < @before", ("@device", deviceId), ("@before", beforeHour));
        }, ct);
}
