using System.Collections.Concurrent;

namespace Fleetwatch.Model;

/// <summary>
/// Metric names interned to small integers, shared by every node through the <c>metrics</c> table.
/// Only the writer adds names, and only after their transaction committed.
/// </summary>
public sealed class MetricDictionary
{
    private readonly ConcurrentDictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, string> _names = new();

    public bool TryGetId(string name, out int id) => _ids.TryGetValue(name, out id);

    public bool TryGetName(int id, out string name) => _names.TryGetValue(id, out name!);

    public void Add(int id, string name)
    {
        _ids[name] = id;
        _names[id] = name;
    }
}
