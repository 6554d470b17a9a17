namespace Fleetwatch.Model;

public static class EventOrdering
{
    /// <summary>True when <paramref name="a"/> is later than <paramref name="b"/>: greater device time, ties to the later write (CONTRACTS.md §1).</summary>
    public static bool IsLater(long aTs, long aId, long bTs, long bId) => aTs > bTs || (aTs == bTs && aId > bId);

    /// <summary>Index of each device's latest status in a batch, so its latest state is written once per batch, not once per event.</summary>
    public static Dictionary<long, int> LatestStatusPerDevice(StoredEvent[] events)
    {
        var latest = new Dictionary<long, int>();
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            if (e.Kind != EventKind.Status) continue;
            if (!latest.TryGetValue(e.DeviceId, out var best) || IsLater(e.TsMicros, e.Id, events[best].TsMicros, events[best].Id))
                latest[e.DeviceId] = i;
        }
        return latest;
    }
}
