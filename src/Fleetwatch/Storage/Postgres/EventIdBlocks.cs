using System.Globalization;
using System.Text;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

/// <summary>
/// Event ids for one node's writer. The sequence steps by <see cref="BlockSize"/>, so each nextval hands this
/// node a block no other node will use; batches take their ids from the block in order. A batch's ids are
/// therefore one or a few contiguous ranges that hold nothing of any other node's, which is what lets the
/// other nodes read exactly "ids A..B" back after the announcement. The rest of a block is skipped at restart.
/// </summary>
public sealed class EventIdBlocks
{
    public const int BlockSize = 1024;

    private long _next;
    private long _end;
    // Every block this node was handed since start (read by the event feed, to skip its own rows when catching up).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, byte> _own = new();

    /// <summary>The start of the block holding <paramref name="id"/> (the sequence starts at 1 and steps by <see cref="BlockSize"/>).</summary>
    public static long BlockOf(long id) => id - (id - 1) % BlockSize;

    /// <summary>Whether this node wrote (or may write) <paramref name="id"/>.</summary>
    public bool IsOwn(long id) => _own.ContainsKey(BlockOf(id));
    // Blocks fetched together for a large batch, used in order before asking the sequence again.
    private readonly List<long> _pending = [];

    /// <summary>
    /// One batch at a time, in the writer's order (<see cref="PostgresStore.WriteBatchAsync"/> chains the calls). The
    /// sequence is read outside the batch's transaction: nextval is never rolled back anyway.
    /// </summary>
    public async Task<(long[] Ids, List<(long Min, long Max)> Ranges)> ReserveAsync(NpgsqlDataSource dataSource, int count, CancellationToken ct)
    {
        var ids = new long[count];
        var ranges = new List<(long Min, long Max)>();
        var filled = 0;
        while (filled < count)
        {
            if (_next >= _end)
            {
                var blocks = (count - filled + BlockSize - 1) / BlockSize;
                await using var command = dataSource.CreateCommand("SELECT nextval('events_id_seq') FROM generate_series(1, $1)");
                command.Parameters.Add(new NpgsqlParameter { Value = blocks });
                var starts = new List<long>();
                await using (var reader = await command.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct)) starts.Add(reader.GetInt64(0));
                }
                foreach (var blockStart in starts) _own[blockStart] = 0;
                // Use the first block now; the loop asks again if more are needed (the others are skipped, harmlessly).
                _next = starts[0];
                _end = starts[0] + BlockSize;
                if (starts.Count > 1) _pending.AddRange(starts.Skip(1));
            }
            var start = _next;
            var take = (int)Math.Min(count - filled, _end - _next);
            for (var i = 0; i < take; i++) ids[filled + i] = _next + i;
            _next += take;
            filled += take;
            ranges.Add((start, start + take - 1));
            if (_next >= _end && _pending.Count > 0)
            {
                _next = _pending[0];
                _end = _next + BlockSize;
                _pending.RemoveAt(0);
            }
        }
        return (ids, ranges);
    }


    /// <summary>An announcement: the node, its id ranges, and whether the batch was imported history (see <see cref="EventDraft.Backfill"/>).</summary>
    public static string Describe(string node, List<(long Min, long Max)> ranges, bool backfill = false)
    {
        var text = new StringBuilder(node);
        foreach (var (min, max) in ranges) text.Append(CultureInfo.InvariantCulture, $":{min}-{max}");
        if (backfill) text.Append(':').Append(BackfillMark);
        return text.ToString();
    }

    private const string BackfillMark = "backfill";

    public static bool TryParse(string payload, out string node, out List<(long Min, long Max)> ranges) => TryParse(payload, out node, out ranges, out _);

    public static bool TryParse(string payload, out string node, out List<(long Min, long Max)> ranges, out bool backfill)
    {
        var parts = payload.Split(':');
        node = parts[0];
        ranges = [];
        backfill = parts[^1] == BackfillMark;
        foreach (var part in parts.Skip(1).Take(parts.Length - (backfill ? 2 : 1)))
        {
            var bounds = part.Split('-');
            if (bounds.Length != 2 || !long.TryParse(bounds[0], CultureInfo.InvariantCulture, out var min)
                || !long.TryParse(bounds[1], CultureInfo.InvariantCulture, out var max))
                return false;
            ranges.Add((min, max));
        }
        return ranges.Count > 0;
    }
}
