using System.ComponentModel;

namespace Fleetwatch.Mqtt;

/// <summary>The MQTT listener (<c>Mqtt:</c> settings). Off unless <see cref="Enabled"/>.</summary>
public sealed class MqttOptions
{
    [Description("Serve MQTT (TCP, WebSocket, optionally TLS) from the same process.")]
    public bool Enabled { get; set; }

    [Description("The plain TCP listener's port (0: any free port, for tests); on every address the HTTP URLs bind unless Host says otherwise.")]
    public int Port { get; set; } = 1883;

    [Description("The address of the TCP listeners: * for all, else an IP address or localhost.")]
    public string Host { get; set; } = "*";

    [Description("A TLS listener (8883 is usual) with Kestrel's certificate (Kestrel:Certificates:Default); 0: none.")]
    public int TlsPort { get; set; }

    [Description("MQTT over WebSocket on the HTTP listener (subprotocol mqtt); empty: none.")]
    public string WebSocketPath { get; set; } = "/mqtt";

    [Description("A larger payload disconnects the client (MQTT 5: reason 0x95, packet too large).")]
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    [Description("QoS 1 and 2 messages of one connection waiting for their commit; one more disconnects it (0x93). Sent to MQTT 5 clients as the receive maximum.")]
    public int MaxInFlight { get; set; } = 1000;

    [Description("Publishes per second per connection, averaged over a second's burst; a client over it is disconnected (0x96, message rate too high).")]
    public int MaxPublishesPerSecond { get; set; } = 5000;
}
