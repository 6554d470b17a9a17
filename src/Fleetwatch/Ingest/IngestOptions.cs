namespace Fleetwatch.Ingest;

public sealed class IngestOptions
{
    /// <summary>Requests waiting for the writer. Beyond this, requests wait up to <see cref="EnqueueTimeoutMs"/>, then get 503.</summary>
    public int QueueCapacity { get; set; } = 20_000;

    public int EnqueueTimeoutMs { get; set; } = 2_000;

    /// <summary>Events per transaction, at most (a single request larger than this still goes in one transaction).</summary>
    public int MaxBatchEvents { get; set; } = 10_000;

    /// <summary>
    /// Benchmarks only: one transaction per request, the naïve design, to measure what group commit buys.
    /// </summary>
    public bool CommitPerRequest { get; set; }

    /// <summary>Tests only: the writer waits this long before each commit, to stand in for a slow disk.</summary>
    public int SlowCommitMs { get; set; }
}
