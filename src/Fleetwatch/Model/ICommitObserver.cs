
namespace Fleetwatch.Model;

/// <summary>
/// Told of every batch after its commit, in commit order, off the writer's loop (the writer is already writing the
/// next batch). Observers that keep what the APIs answer from (<see cref="BeforeAcknowledgement"/>) are told before
/// any of the batch's requests is answered, so a client that got its 2xx reads its own write; the others (metrics,
/// rollups, rules, streams) right after. Must be quick and must not throw. On PostgreSQL an observer is also told of
/// the batches other nodes committed (see PostgresEventFeed).
/// </summary>
public interface ICommitObserver
{
    void OnCommitted(CommittedBatch batch);

    /// <summary>True for state the APIs read (devices, latest statuses, …): applied before the batch's requests are answered.</summary>
    bool BeforeAcknowledgement => false;
}

/// <summary>A commit observer told only of this node's own commits: work that one node does for what it wrote.</summary>
public interface ILocalCommitObserver : ICommitObserver;
