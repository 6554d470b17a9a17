using System.Threading.Channels;
using Fleetwatch.Model;

namespace Fleetwatch.Streams;

/// <summary>One committed event on its way to a subscriber, with the device's string id for the frame.</summary>
public readonly record struct StreamItem(StoredEvent Event, string ExternalId);

/// <summary>
/// One live subscriber: the devices it follows (or a whole project, optionally one tag of it) and a bounded
/// queue. A subscriber that reads too slowly loses its oldest items, counted so it is told of the gap: it can
/// never slow ingest or make memory grow.
/// </summary>
public sealed class Subscription
{
    private readonly Channel<StreamItem> _queue;
    private readonly HashSet<long> _devices = [];
    private long _dropped;

    public Subscription(long projectId, bool wholeProject, string? tag, int capacity)
    {
        ProjectId = projectId;
        WholeProject = wholeProject;
        Tag = tag;
        _queue = Channel.CreateBounded<StreamItem>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => Increment());
    }

    private void Increment()
    {
        // A known count replaces the "unknown" marker; the marker itself is kept otherwise.
        long current, next;
        do
        {
            current = Volatile.Read(ref _dropped);
            next = current < 0 ? 1 : current + 1;
        }
        while (Interlocked.CompareExchange(ref _dropped, next, current) != current);
    }

    public long ProjectId { get; }
    public bool WholeProject { get; }
    public string? Tag { get; }

    public long[] Devices
    {
        get { lock (_devices) return [.. _devices]; }
    }

    public bool Follow(long deviceId)
    {
        lock (_devices) return _devices.Add(deviceId);
    }

    public bool Unfollow(long deviceId)
    {
        lock (_devices) return _devices.Remove(deviceId);
    }

    /// <summary>
    /// Events may have been missed without being dropped here (the node lost its notification connection): the
    /// next item is preceded by a gap marker. An empty queue gets one at the next event.
    /// </summary>
    public void MarkGap() => Interlocked.CompareExchange(ref _dropped, -1, 0);

    /// <summary>Called on the writer's thread after a commit: never blocks.</summary>
    public void Offer(StreamItem item) => _queue.Writer.TryWrite(item);

    /// <summary>
    /// The items in order, each preceded by the number dropped since the previous one when there is a gap
    /// (an item with <c>Dropped &gt; 0</c> and no event). A drop always comes with a newer item queued, so
    /// no gap goes unreported.
    /// </summary>
    public async IAsyncEnumerable<(long Dropped, StreamItem Item)> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (await _queue.Reader.WaitToReadAsync(ct))
        {
            while (_queue.Reader.TryRead(out var item))
            {
                // -1: an unknown number missed (see MarkGap).
                var dropped = Interlocked.Exchange(ref _dropped, 0);
                if (dropped != 0) yield return (dropped, default);
                yield return (0, item);
            }
        }
    }

    public void Complete() => _queue.Writer.TryComplete();
}
