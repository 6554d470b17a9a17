using System.ComponentModel;

namespace Fleetwatch.Ingest;

public sealed class IngestOptions
{
    [Description("Requests waiting for the writer. Beyond this, requests wait up to EnqueueTimeoutMs, then get 503.")]
    public int QueueCapacity { get; set; } = 20_000;

    [Description("How long a request waits for room in a full queue before it gets 503 with Retry-After.")]
    public int EnqueueTimeoutMs { get; set; } = 2_000;

    [Description("Events per transaction, at most (a single request larger than this still goes in one transaction).")]
    public int MaxBatchEvents { get; set; } = 10_000;

    [Description("PostgreSQL only: transactions the writer keeps in flight at once, each on its own connection (SQLite commits one at a time). "
        + "Raise it when PostgreSQL runs on its own machine with cores to spare or is far away; on a small shared box one large group commit at a time does more.")]
    public int ConcurrentCommits { get; set; } = 1;

    [Description("Benchmarks only: one transaction per request, the naïve design, to measure what group commit buys.")]
    public bool CommitPerRequest { get; set; }

    [Description("Tests only: the writer waits this long before each commit, to stand in for a slow disk.")]
    public int SlowCommitMs { get; set; }
}
