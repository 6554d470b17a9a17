
namespace Fleetwatch.Model;

/// <summary>
/// Told of every batch right after its commit, on the writer's loop and before any of its requests is
/// answered: so a client that got its 2xx reads its own write. Must be quick and must not throw.
/// On PostgreSQL it is also told of the batches other nodes committed (see PostgresEventFeed).
/// </summary>
public interface ICommitObserver
{
    void OnCommitted(CommittedBatch batch);
}

/// <summary>A commit observer told only of this node's own commits: work that one node does for what it wrote.</summary>
public interface ILocalCommitObserver : ICommitObserver;
