using System.Collections.Concurrent;

namespace Fleetwatch.Model;

/// <summary>Carries a change notice to the other nodes sharing the database (PostgreSQL NOTIFY); absent on SQLite.</summary>
public interface IChangeTransport
{
    Task SendAsync(string topic, string value, CancellationToken ct);
}

/// <summary>
/// Changes made outside the event stream (a device created, re-tagged or deleted; a key revoked) that every
/// node's in-memory state must follow. A publisher's own handlers run before it answers; other nodes run
/// theirs when the transport delivers the notice.
/// </summary>
public sealed class ChangeBus(IEnumerable<IChangeTransport> transports)
{
    public const string DeviceTopic = "device", KeyTopic = "key", RulesTopic = "rules";
    /// <summary>Delivered on this node only, after its notification connection came back: what it may have missed must be re-read.</summary>
    public const string ResyncTopic = "resync";
    /// <summary>Devices were registered outside any server (<c>fleetwatch import devices.csv</c>): every device is read again.</summary>
    public const string DevicesTopic = "devices";

    private readonly IChangeTransport[] _transports = [.. transports];
    private readonly ConcurrentDictionary<string, List<Func<string, CancellationToken, Task>>> _handlers = new();

    public void Subscribe(string topic, Func<string, CancellationToken, Task> handler)
    {
        var list = _handlers.GetOrAdd(topic, _ => []);
        lock (list) list.Add(handler);
    }

    public async Task PublishAsync(string topic, string value, CancellationToken ct)
    {
        await DeliverAsync(topic, value, ct);
        foreach (var transport in _transports) await transport.SendAsync(topic, value, ct);
    }

    /// <summary>Runs this node's handlers for a notice, published here or received from another node.</summary>
    public async Task DeliverAsync(string topic, string value, CancellationToken ct)
    {
        if (!_handlers.TryGetValue(topic, out var list)) return;
        Func<string, CancellationToken, Task>[] handlers;
        lock (list) handlers = [.. list];
        foreach (var handler in handlers) await handler(value, ct);
    }
}
