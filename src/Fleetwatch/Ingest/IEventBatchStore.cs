using Fleetwatch.Model;

namespace Fleetwatch.Ingest;

public interface IEventBatchStore
{
    /// <summary>
    /// Writes a batch in one transaction and returns once it is durably committed: creates the devices whose
    /// drafts have no id yet, interns new metric names, inserts the events and moves each device's latest
    /// status forward. Only the <see cref="IngestWriter"/> calls this; when <see cref="CommitsConcurrently"/>, it may
    /// call again before the last call finished, and the store must give the later call the later ids.
    /// </summary>
    Task<CommittedBatch> WriteBatchAsync(IReadOnlyList<EventDraft> drafts, MetricDictionary metrics, CancellationToken ct);

    /// <summary>Whether transactions on several connections commit side by side (false: one writes at a time).</summary>
    bool CommitsConcurrently { get; }
}
