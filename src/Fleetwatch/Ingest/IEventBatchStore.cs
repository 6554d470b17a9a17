using Fleetwatch.Model;

namespace Fleetwatch.Ingest;

public interface IEventBatchStore
{
    /// <summary>
    /// Writes a batch in one transaction and returns once it is durably committed: creates the devices whose
    /// drafts have no id yet, interns new metric names, inserts the events and moves each device's latest
    /// status forward. Only the <see cref="IngestWriter"/> calls this.
    /// </summary>
    Task<CommittedBatch> WriteBatchAsync(IReadOnlyList<EventDraft> drafts, MetricDictionary metrics, CancellationToken ct);
}
