namespace Fleetwatch.Storage.Postgres;

/// <summary>
/// What the event feed has applied of other nodes' writes, so that after a lost notification connection it can
/// read exactly what it missed from the table. A node writes each id block of its own in order, one batch after
/// another, so per block "applied up to id N" says it all. Blocks handed out while this node was not listening
/// are found from the id sequence: everything above the highest block seen a little before the connection was
/// lost (the margin covers a batch that took its block earlier and committed later). Only the feed's loop uses it.
/// </summary>
public sealed class AppliedEvents(Func<long, bool> ownEvent)
{
    private static readonly long Margin = TimeSpan.FromSeconds(10).Ticks;

    private readonly Dictionary<long, long> _appliedUpTo = [];
    // The highest block start seen, as it grew: (when, block start).
    private readonly List<(long Ticks, long Block)> _highest = [];

    /// <summary>The part of a notified range not applied yet (a catch-up read may have applied it first), or null.</summary>
    public (long Min, long Max)? Unapplied(long min, long max)
    {
        var from = _appliedUpTo.TryGetValue(EventIdBlocks.BlockOf(min), out var upTo) ? Math.Max(min, upTo + 1) : min;
        return from <= max ? (from, max) : null;
    }

    /// <summary>Whether a row read back is another node's and not applied yet.</summary>
    public bool IsMissed(long id) => !ownEvent(id) && (!_appliedUpTo.TryGetValue(EventIdBlocks.BlockOf(id), out var upTo) || id > upTo);

    public void Applied(long id)
    {
        var block = EventIdBlocks.BlockOf(id);
        if (_appliedUpTo.TryGetValue(block, out var upTo) && upTo >= id) return;
        if (id == block + EventIdBlocks.BlockSize - 1) _appliedUpTo.Remove(block); // a full block needs no more tracking
        else _appliedUpTo[block] = id;
        Seen(block);
    }

    /// <summary>The sequence's newest block when listening (re)starts: blocks above it are new to this node.</summary>
    public void Seen(long block)
    {
        if (_highest.Count > 0 && _highest[^1].Block >= block) return;
        var now = DateTime.UtcNow.Ticks;
        _highest.Add((now, block));
        // Keep the newest sample older than the margin and everything since.
        var keepFrom = _highest.FindLastIndex(h => h.Ticks < now - Margin);
        if (keepFrom > 0) _highest.RemoveRange(0, keepFrom);
    }

    /// <summary>
    /// The id ranges that may hold rows missed since the last notification: the known blocks past what was applied,
    /// and every block from the highest one seen a margin before the last activity up to <paramref name="newestBlock"/>.
    /// </summary>
    public List<(long Min, long Max)> MissedRanges(long newestBlock)
    {
        var ranges = _appliedUpTo.Select(b => (b.Value + 1, b.Key + EventIdBlocks.BlockSize - 1)).ToList();
        if (_highest.Count == 0) return ranges;
        var cutoff = _highest[^1].Ticks - Margin;
        var from = _highest.LastOrDefault(h => h.Ticks <= cutoff, _highest[0]).Block;
        ranges.Add((from, newestBlock + EventIdBlocks.BlockSize - 1));
        return ranges;
    }
}
