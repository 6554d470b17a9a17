namespace Fleetwatch.Mqtt;

/// <summary>The MQTT listener (<c>Mqtt:</c> settings). Off unless <see cref="Enabled"/>.</summary>
public sealed class MqttOptions
{
    public bool Enabled { get; set; }

    /// <summary>The plain TCP listener's port (0: any free port, for tests); on every address the HTTP URLs bind unless <see cref="Host"/> says otherwise.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>The address of the TCP listeners: <c>*</c> for all, else an IP address or <c>localhost</c>.</summary>
    public string Host { get; set; } = "*";

    /// <summary>A TLS listener (8883 is usual) with Kestrel's certificate (<c>Kestrel:Certificates:Default</c>); 0: none.</summary>
    public int TlsPort { get; set; }

    /// <summary>MQTT over WebSocket on the HTTP listener (subprotocol <c>mqtt</c>); empty: none.</summary>
    public string WebSocketPath { get; set; } = "/mqtt";

    /// <summary>A larger payload disconnects the client (MQTT 5: reason 0x95, packet too large).</summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    /// <summary>QoS 1 and 2 messages of one connection waiting for their commit; one more disconnects it (0x93). Sent to MQTT 5 clients as the receive maximum.</summary>
    public int MaxInFlight { get; set; } = 1000;

    /// <summary>Publishes per second per connection, averaged over a second's burst; a client over it is disconnected (0x96, message rate too high).</summary>
    public int MaxPublishesPerSecond { get; set; } = 5000;
}
