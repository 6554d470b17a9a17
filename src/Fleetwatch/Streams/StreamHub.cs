using Fleetwatch.Devices;
using Fleetwatch.Model;

namespace Fleetwatch.Streams;

/// <summary>
/// Fans committed events out to live subscribers. It observes every commit of this node and, through the
/// PostgreSQL event feed, every other node's, so a subscriber hears of an event whichever API and node stored
/// it. Lookups are by device and by project; handing an item over never blocks the writer.
/// </summary>
public sealed class StreamHub : ICommitObserver
{
    private readonly DeviceRegistry _devices;

    public StreamHub(DeviceRegistry devices, ChangeBus changes)
    {
        _devices = devices;
        // Events committed by other nodes while this one was not listening never reach its subscribers: say so.
        changes.Subscribe(ChangeBus.ResyncTopic, (_, _) =>
        {
            foreach (var subscription in Volatile.Read(ref _all)) subscription.MarkGap();
            return Task.CompletedTask;
        });
    }

    private readonly Lock _lock = new();
    // Copy-on-write arrays: the commit path reads them without a lock.
    private Dictionary<long, Subscription[]> _byDevice = [];
    private Dictionary<long, Subscription[]> _byProject = [];
    private Subscription[] _all = [];

    public int Count => Volatile.Read(ref _all).Length;

    public void Add(Subscription subscription)
    {
        lock (_lock)
        {
            if (subscription.WholeProject) _byProject = With(_byProject, subscription.ProjectId, subscription);
            _all = [.. _all, subscription];
        }
    }

    public void Follow(Subscription subscription, long deviceId)
    {
        lock (_lock)
        {
            if (subscription.Follow(deviceId)) _byDevice = With(_byDevice, deviceId, subscription);
        }
    }

    public void Unfollow(Subscription subscription, long deviceId)
    {
        lock (_lock)
        {
            if (subscription.Unfollow(deviceId)) _byDevice = Without(_byDevice, deviceId, subscription);
        }
    }

    public void Remove(Subscription subscription)
    {
        lock (_lock)
        {
            foreach (var device in subscription.Devices) Unfollow(subscription, device);
            if (subscription.WholeProject) _byProject = Without(_byProject, subscription.ProjectId, subscription);
            _all = [.. _all.Where(s => s != subscription)];
        }
        subscription.Complete();
    }

    public void OnCommitted(CommittedBatch batch)
    {
        var byDevice = Volatile.Read(ref _byDevice);
        var byProject = Volatile.Read(ref _byProject);
        if (byDevice.Count == 0 && byProject.Count == 0) return;
        for (var i = 0; i < batch.Events.Length; i++)
        {
            var e = batch.Events[i];
            var draft = batch.Drafts[i];
            if (draft.Backfill) continue;
            var item = new StreamItem(e, draft.ExternalId);
            if (byDevice.TryGetValue(e.DeviceId, out var followers))
            {
                foreach (var subscription in followers) subscription.Offer(item);
            }
            if (byProject.TryGetValue(draft.ProjectId, out var watchers))
            {
                foreach (var subscription in watchers)
                {
                    if (subscription.Tag is null || _devices.Get(e.DeviceId)?.HasTag(subscription.Tag) == true) subscription.Offer(item);
                }
            }
        }
    }

    private static Dictionary<long, Subscription[]> With(Dictionary<long, Subscription[]> map, long key, Subscription subscription)
    {
        var copy = new Dictionary<long, Subscription[]>(map);
        copy[key] = copy.TryGetValue(key, out var existing) ? [.. existing, subscription] : [subscription];
        return copy;
    }

    private static Dictionary<long, Subscription[]> Without(Dictionary<long, Subscription[]> map, long key, Subscription subscription)
    {
        if (!map.TryGetValue(key, out var existing)) return map;
        var copy = new Dictionary<long, Subscription[]>(map);
        var remaining = existing.Where(s => s != subscription).ToArray();
        if (remaining.Length == 0) copy.Remove(key);
        else copy[key] = remaining;
        return copy;
    }
}
