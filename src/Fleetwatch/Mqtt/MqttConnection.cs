using System.Collections.Concurrent;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using MQTTnet.Formatter;

namespace Fleetwatch.Mqtt;

/// <summary>What one MQTT connection is allowed, and the commits its acknowledgements wait for.</summary>
public sealed class MqttConnection(Caller caller, long projectId, DeviceRecord? ownDevice, string clientId, bool clientIdAssigned, MqttProtocolVersion version)
{
    /// <summary>The key this connection identified with: the key in <c>SessionItems</c>.</summary>
    public const string ItemKey = "fleetwatch.connection";

    public Caller Caller { get; } = caller;
    public long ProjectId { get; } = projectId;

    /// <summary>The device of a device key: <c>me</c> in a topic. With a project key, <c>me</c> is the device named by the client id.</summary>
    public DeviceRecord? OwnDevice { get; } = ownDevice;
    public string ClientId { get; } = clientId;

    /// <summary>The device a project key's <c>me</c> names: the client id the client chose (none when the server assigned one).</summary>
    public string DeviceName { get; } = clientIdAssigned ? "" : clientId;
    public bool IsVersion5 { get; } = version == MqttProtocolVersion.V500;

    /// <summary>
    /// One task per QoS 1 or 2 message, in arrival order: what its PUBACK (or PUBREC) waits for. The broker sends
    /// acknowledgements in arrival order on a loop of its own, so many messages are in flight while one commit syncs.
    /// </summary>
    public ConcurrentQueue<Task> Pending { get; } = new();

    private long _windowStartTicks;
    private int _inWindow;

    /// <summary>Counts a publish against the per-second limit; false once the connection is over it.</summary>
    public bool TryCountPublish(int perSecond, long nowTicks)
    {
        if (nowTicks - _windowStartTicks >= TimeSpan.TicksPerSecond)
        {
            _windowStartTicks = nowTicks;
            _inWindow = 0;
        }
        return ++_inWindow <= perSecond;
    }
}
