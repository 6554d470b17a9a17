namespace Fleetwatch.Fleet;

/// <summary>
/// The distinct UTC minutes that had a heartbeat, as a bitmap in chunks of 4,096 minutes (512 bytes, about
/// 2.8 days): one bit per minute, so a device-year of minute heartbeats costs about 64 KB, and adding a
/// minute or counting them is O(1) whatever the history's length. Not thread-safe: the owner locks.
/// </summary>
public sealed class MinuteSet
{
    private const int ChunkBits = 4096;
    private readonly Dictionary<long, ulong[]> _chunks = [];

    public long Count { get; private set; }
    public long First { get; private set; } = long.MaxValue;
    public long Last { get; private set; } = long.MinValue;

    /// <summary>How many minutes of [<paramref name="from"/>, <paramref name="to"/>) are in the set: a popcount per 64 minutes.</summary>
    public long CountBetween(long from, long to)
    {
        long count = 0;
        for (var minute = from; minute < to;)
        {
            var chunkIndex = Math.DivRem(minute, ChunkBits, out var offset);
            if (offset < 0)
            {
                offset += ChunkBits;
                chunkIndex--;
            }
            var chunkEnd = minute - offset + ChunkBits;
            if (_chunks.TryGetValue(chunkIndex, out var bits))
            {
                var last = Math.Min(to, chunkEnd) - (minute - offset); // exclusive, within the chunk
                for (var bit = offset; bit < last;)
                {
                    var word = bits[bit / 64];
                    var low = (int)(bit % 64);
                    var high = (int)Math.Min(64, last - (bit - low));
                    var mask = (high == 64 ? ulong.MaxValue : (1UL << high) - 1) & ~((1UL << low) - 1);
                    count += (long)ulong.PopCount(word & mask);
                    bit += high - low;
                }
            }
            minute = chunkEnd;
        }
        return count;
    }

    /// <summary>Adds a minute; true when it was not there yet.</summary>
    public bool Add(long minute)
    {
        var chunkIndex = Math.DivRem(minute, ChunkBits, out var offset);
        if (offset < 0)
        {
            offset += ChunkBits;
            chunkIndex--;
        }
        if (!_chunks.TryGetValue(chunkIndex, out var bits)) _chunks[chunkIndex] = bits = new ulong[ChunkBits / 64];
        var mask = 1UL << (int)(offset % 64);
        ref var word = ref bits[offset / 64];
        if ((word & mask) != 0) return false;
        word |= mask;
        Count++;
        if (minute < First) First = minute;
        if (minute > Last) Last = minute;
        return true;
    }
}
