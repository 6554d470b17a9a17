using Fleetwatch.Model;

namespace Fleetwatch.Retention;

/// <summary>A project's own retention; null falls back to the server's default (<see cref="RetentionOptions"/>).</summary>
public sealed record ProjectRetention(long ProjectId, int? RawDays, int? RollupDays);

public interface IRetentionStore
{
    Task<IReadOnlyList<ProjectRetention>> ListAsync(CancellationToken ct);

    Task<ProjectRetention?> GetAsync(long projectId, CancellationToken ct);

    /// <summary>False when the project does not exist.</summary>
    Task<bool> SetAsync(ProjectRetention retention, CancellationToken ct);

    /// <summary>Whether the device has an event of this kind older than <paramref name="beforeMicros"/> (one index seek, a read).</summary>
    Task<bool> HasExpiredAsync(long deviceId, EventKind kind, long beforeMicros, CancellationToken ct);

    /// <summary>
    /// Deletes at most about <paramref name="maxRows"/> of the device's oldest events of one kind older than
    /// <paramref name="beforeMicros"/>, in one short statement; how many it deleted (fewer than asked: nothing older is left).
    /// </summary>
    Task<int> PurgeEventsAsync(long deviceId, EventKind kind, long beforeMicros, int maxRows, CancellationToken ct);

    /// <summary>Deletes the device's hourly rollups of hours before <paramref name="beforeHour"/>; how many hours.</summary>
    Task<int> PurgeRollupsAsync(long deviceId, long beforeHour, CancellationToken ct);

    /// <summary>The database's size on disk: the SQLite file's pages, or PostgreSQL's database.</summary>
    Task<long> DatabaseBytesAsync(CancellationToken ct);
}
