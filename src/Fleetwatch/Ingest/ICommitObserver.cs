using Fleetwatch.Storage;

namespace Fleetwatch.Ingest;

/// <summary>
/// Told of every batch right after its commit, on the writer's loop and before any of its requests is
/// answered: so a client that got its 2xx reads its own write. Must be quick and must not throw.
/// </summary>
public interface ICommitObserver
{
    void OnCommitted(CommittedBatch batch);
}
