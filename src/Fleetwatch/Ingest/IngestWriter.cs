using System.Threading.Channels;
using Fleetwatch.Devices;
using Fleetwatch.Model;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Ingest;

/// <summary>Thrown when the writer's queue stayed full for the whole enqueue timeout: the API answers 503 with Retry-After.</summary>
public sealed class IngestBackpressureException() : Exception("The ingest queue is full");

/// <summary>
/// The one writer per node. Requests hand their events to a bounded channel and await the commit of the
/// batch that holds them; the loop drains whatever has queued while the previous commit was syncing and
/// writes it in one transaction (group commit), so one disk sync serves many requests. A second loop hands
/// each committed batch to the commit observers and answers its requests, so the writer starts the next
/// transaction at once instead of waiting for them: two stages of a pipeline, in commit order. An engine that
/// commits transactions side by side (PostgreSQL) gets several in flight at once; the second stage still takes
/// them in the order they were started, which is the order of their ids.
/// </summary>
public sealed partial class IngestWriter : BackgroundService
{
    private readonly Channel<WriteRequest> _queue;
    // Committed batches waiting for the observers. Bounded: a writer far ahead of its observers would only let the
    // in-memory state fall behind the store; a few batches of slack keep both stages busy.
    private readonly Channel<(Task<CommittedBatch?> Commit, WriteRequest[] Requests)> _committed =
        Channel.CreateBounded<(Task<CommittedBatch?>, WriteRequest[])>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    // Transactions in flight at once: one on SQLite (one connection writes), several on PostgreSQL.
    private readonly SemaphoreSlim _inFlight;
    private readonly IEventBatchStore _store;
    private readonly MetricDictionary _metrics;
    private readonly DeviceRegistry _devices;
    private readonly ICommitObserver[] _observers;
    private readonly int _acknowledgeAfter;
    private readonly IngestOptions _options;
    private readonly ILogger<IngestWriter> _logger;

    public IngestWriter(IEventBatchStore store, MetricDictionary metrics, DeviceRegistry devices, IEnumerable<ICommitObserver> observers,
        IOptions<IngestOptions> options, ILogger<IngestWriter> logger)
    {
        _store = store;
        _metrics = metrics;
        _devices = devices;
        _observers = [.. observers];
        // State first: the order of registration says so (FleetwatchApp.AddCommitObservers); check it, since answering
        // a request between two state observers would let a client read half of its own write.
        var firstWork = Array.FindIndex(_observers, o => !o.BeforeAcknowledgement);
        if (firstWork >= 0 && _observers.Skip(firstWork).Any(o => o.BeforeAcknowledgement))
            throw new InvalidOperationException("Commit observers that apply before acknowledgement must be registered before the others");
        _acknowledgeAfter = firstWork < 0 ? _observers.Length : firstWork;
        _options = options.Value;
        _logger = logger;
        _inFlight = new SemaphoreSlim(store.CommitsConcurrently ? Math.Max(1, _options.ConcurrentCommits) : 1);
        _queue = Channel.CreateBounded<WriteRequest>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Completes once the events are committed and synced; the result is in the order of <paramref name="drafts"/>.</summary>
    public async Task<StoredEvent[]> WriteAsync(EventDraft[] drafts, CancellationToken ct)
    {
        var request = new WriteRequest(drafts);
        if (!_queue.Writer.TryWrite(request))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.EnqueueTimeoutMs);
            try
            {
                await _queue.Writer.WriteAsync(request, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new IngestBackpressureException();
            }
            catch (ChannelClosedException)
            {
                throw new IngestBackpressureException();
            }
        }
        // Once queued, the events will be committed whether or not the client waits: no cancellation here.
        return await request.Completion.Task;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the writer's loop, between two batches, when no commit is in flight: other writes
    /// to a single-writer engine (SQLite's expiry deletes) take their turn in the queue instead of fighting the writer
    /// for the file's lock, which under steady load they would lose. Keep it to a few milliseconds.
    /// </summary>
    public async Task<T> BetweenBatchesAsync<T>(Func<T> work, CancellationToken ct)
    {
        if (_store.CommitsConcurrently) throw new InvalidOperationException("Only a single-writer engine runs work between its batches");
        T result = default!;
        var request = new WriteRequest([], () => result = work());
        await _queue.Writer.WriteAsync(request, ct);
        await request.Completion.Task;
        return result;
    }

    private long _lastBatchStarted;

    /// <summary>Whether the writer started a batch within <paramref name="window"/>: ingest is going on.</summary>
    public bool WroteWithin(TimeSpan window) => System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _lastBatchStarted)) < window;

    /// <summary>Requests waiting for the writer now.</summary>
    public int QueueDepth => _queue.Reader.Count;

    /// <summary>Called after each commit with its duration, events and outcome (for the metrics).</summary>
    public Action<double, int, bool>? CommitObserved { get; set; }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking requests; the loop drains what is queued, so nothing accepted is lost.
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(WriteLoopAsync(), ObserveLoopAsync());

    private async Task WriteLoopAsync()
    {
        try
        {
            // The queue is completed on stop; draining it must not be cancelled, or acknowledged-to-be writes are lost.
            while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
            {
                // Whatever queued while the transactions in flight were committing goes into the next one.
                await _inFlight.WaitAsync(CancellationToken.None);
                if (_queue.Reader.TryPeek(out var head) && head.Work is not null && _queue.Reader.TryRead(out _))
                {
                    RunBetweenBatches(head);
                    continue;
                }
                var requests = new List<WriteRequest>();
                var drafts = new List<EventDraft>();
                // A batch is all live or all backfill, so PostgreSQL can announce which it was to the other nodes.
                while (drafts.Count < _options.MaxBatchEvents && _queue.Reader.TryPeek(out var next) && next.Work is null
                    && (requests.Count == 0 || next.Backfill == requests[0].Backfill) && _queue.Reader.TryRead(out var request))
                {
                    requests.Add(request);
                    drafts.AddRange(request.Drafts);
                    if (_options.CommitPerRequest) break;
                }
                if (requests.Count == 0)
                {
                    // Work between batches came first after all: it runs on the next turn.
                    _inFlight.Release();
                    continue;
                }
                if (_options.SlowCommitMs > 0) await Task.Delay(_options.SlowCommitMs, CancellationToken.None);
                // Started here, in order (the store takes its ids and its place in the announcements before its first
                // wait), and finished in any order; the observers take them in this order.
                var commit = CommitAsync(requests, drafts);
                await _committed.Writer.WriteAsync((commit, [.. requests]), CancellationToken.None);
            }
        }
        finally
        {
            _committed.Writer.TryComplete();
        }
    }

    private void RunBetweenBatches(WriteRequest request)
    {
        try
        {
            request.Work!();
            request.Completion.TrySetResult([]);
        }
        catch (Exception e)
        {
            request.Completion.TrySetException(e);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private async Task<CommittedBatch?> CommitAsync(List<WriteRequest> requests, List<EventDraft> drafts)
    {
        try
        {
            return await CommitOnceAsync(requests, drafts);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private async Task<CommittedBatch?> CommitOnceAsync(List<WriteRequest> requests, List<EventDraft> drafts)
    {
        foreach (var draft in drafts)
        {
            if (draft.DeviceId == 0 && _devices.TryGetId(draft.ProjectId, draft.ExternalId, out var id)) draft.DeviceId = id;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Volatile.Write(ref _lastBatchStarted, started);
        try
        {
            var batch = await _store.WriteBatchAsync(drafts, _metrics, CancellationToken.None);
            CommitObserved?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, drafts.Count, true);
            Log.BatchCommitted(_logger, drafts.Count, requests.Count);
            return batch;
        }
        catch (Exception e)
        {
            CommitObserved?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, drafts.Count, false);
            Log.BatchFailed(_logger, e, drafts.Count, requests.Count);
            foreach (var request in requests) request.Completion.TrySetException(new StorageUnavailableException(e));
            return null;
        }
    }

    /// <summary>The second stage: the state observers, then the answers, then the other observers; batch after batch in commit order.</summary>
    private async Task ObserveLoopAsync()
    {
        await foreach (var (commit, requests) in _committed.Reader.ReadAllAsync(CancellationToken.None))
        {
            // A failed commit has answered its requests already.
            if (await commit is not { } batch) continue;
            Observe(batch, 0, _acknowledgeAfter);
            var offset = 0;
            foreach (var request in requests)
            {
                request.Completion.TrySetResult(batch.Events.AsSpan(offset, request.Drafts.Length).ToArray());
                offset += request.Drafts.Length;
            }
            Observe(batch, _acknowledgeAfter, _observers.Length);
        }
    }

    private void Observe(CommittedBatch batch, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            try
            {
                _observers[i].OnCommitted(batch);
            }
            catch (Exception e)
            {
                // The batch is committed: its requests succeeded whatever an observer's bug did.
                Log.ObserverFailed(_logger, e, _observers[i].GetType().Name);
            }
        }
    }

    private sealed class WriteRequest(EventDraft[] drafts, Action? work = null)
    {
        public EventDraft[] Drafts { get; } = drafts;
        /// <summary>Not events but work to run between batches (<see cref="BetweenBatchesAsync"/>).</summary>
        public Action? Work { get; } = work;
        public bool Backfill { get; } = drafts.Length > 0 && drafts[0].Backfill;
        public TaskCompletionSource<StoredEvent[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.BatchCommitted, Level = LogLevel.Debug, Message = "Committed {Events} events from {Requests} requests")]
        public static partial void BatchCommitted(ILogger logger, int events, int requests);

        [LoggerMessage(EventId = LogEvents.ObserverFailed, Level = LogLevel.Error, Message = "Commit observer {Observer} failed; in-memory state may lag until restart")]
        public static partial void ObserverFailed(ILogger logger, Exception exception, string observer);

        [LoggerMessage(EventId = LogEvents.BatchFailed, Level = LogLevel.Error, Message = "A batch of {Events} events from {Requests} requests failed to commit")]
        public static partial void BatchFailed(ILogger logger, Exception exception, int events, int requests);
    }
}

/// <summary>The database refused or could not be reached: the API answers 503, and nothing was stored.</summary>
public sealed class StorageUnavailableException(Exception inner) : Exception("The database is unavailable", inner);
