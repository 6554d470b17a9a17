namespace Fleetwatch.Retention;

/// <summary>
/// The events table in time partitions (PostgreSQL): day partitions made ahead of time, and whole days dropped once
/// every project's retention has expired them. SQLite has one table (<see cref="NoPartitions"/>).
/// </summary>
public interface IEventPartitions
{
    /// <summary>Makes sure the day partitions up to the day after tomorrow exist (any node; idempotent).</summary>
    Task PrepareAsync(CancellationToken ct);

    /// <summary>Drops the partitions whose every event is older than <paramref name="cutoffMicros"/>; how many.</summary>
    Task<int> DropBeforeAsync(long cutoffMicros, CancellationToken ct);
}

public sealed class NoPartitions : IEventPartitions
{
    public Task PrepareAsync(CancellationToken ct) => Task.CompletedTask;

    public Task<int> DropBeforeAsync(long cutoffMicros, CancellationToken ct) => Task.FromResult(0);
}
