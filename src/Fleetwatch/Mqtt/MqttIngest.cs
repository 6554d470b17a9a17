using System.Buffers;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Ingest;
using Fleetwatch.Metrics;
using Fleetwatch.Model;
using Microsoft.Extensions.Options;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleetwatch.Mqtt;

/// <summary>
/// The broker's hooks: a key at CONNECT, each PUBLISH handed to the group-committing writer, and each PUBACK (PUBREC
/// for QoS 2) held on its way out until that message's events are committed — the promise of an HTTP 2xx. The broker
/// reads a connection's packets on one loop and sends on another, so while an acknowledgement waits for its commit
/// the next messages are read and written: many are in flight per connection, and the acknowledgements leave in the
/// order the messages came, as MQTT requires. Nothing is routed to subscribers: a device publishes data, not messages.
/// </summary>
public sealed partial class MqttIngest(IngestWriter writer, DeviceRegistry devices, ApiKeyAuthenticator keys, Tenancy tenancy, FleetMetrics metrics,
    IOptions<MqttOptions> options, ILogger<MqttIngest> logger)
{
    private readonly MqttOptions _options = options.Value;
    private MqttServer? _server;

    public void Attach(MqttServer server)
    {
        _server = server;
        server.ValidatingConnectionAsync += ValidateAsync;
        server.InterceptingPublishAsync += OnPublishAsync;
        server.InterceptingOutboundPacketAsync += OnOutboundAsync;
        server.ClientConnectedAsync += _ =>
        {
            metrics.MqttConnected(true);
            return Task.CompletedTask;
        };
        server.ClientDisconnectedAsync += _ =>
        {
            metrics.MqttConnected(false);
            return Task.CompletedTask;
        };
    }

    /// <summary>The user name (ThingsBoard's convention), or else the password, is a device key or a project's ingest or admin key.</summary>
    private async Task ValidateAsync(ValidatingConnectionEventArgs e)
    {
        // An MQTT 5 client with an empty client id asks the server for one (the broker refuses an empty one from MQTT 3.1.1 clients).
        var assigned = string.IsNullOrEmpty(e.ClientId);
        var clientId = assigned ? "fw-" + Guid.NewGuid().ToString("N")[..16] : e.ClientId;
        if (assigned) e.AssignedClientIdentifier = clientId;
        var presented = string.IsNullOrEmpty(e.UserName) ? e.Password : e.UserName;
        var (caller, _) = await keys.AuthenticateAsync(presented, e.CancellationToken);
        if (caller is null)
        {
            Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "send a device key or a project ingest key as the user name (or the password)");
            return;
        }
        if (!caller.CanWrite)
        {
            Refuse(e, MqttConnectReasonCode.NotAuthorized, "this key may not write data: use a device key or a project ingest key");
            return;
        }
        DeviceRecord? own = null;
        if (caller.DeviceId is { } deviceId && (own = devices.Get(deviceId)) is null)
        {
            Refuse(e, MqttConnectReasonCode.NotAuthorized, "this key's device no longer exists");
            return;
        }
        e.ReasonCode = MqttConnectReasonCode.Success;
        e.SessionItems[MqttConnection.ItemKey] = new MqttConnection(caller, tenancy.ProjectOf(caller), own, clientId, assigned, e.ProtocolVersion);
    }

    private void Refuse(ValidatingConnectionEventArgs e, MqttConnectReasonCode code, string reason)
    {
        // MQTT 3.1.1 clients get the matching return code (4 bad user name or password, 5 not authorized).
        e.ReasonCode = code;
        e.ReasonString = reason;
        Log.Refused(logger, e.ClientId, code, reason);
    }

    private Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        e.ProcessPublish = false;
        if (e.SessionItems[MqttConnection.ItemKey] is not MqttConnection connection)
        {
            e.CloseConnection = true;
            return Task.CompletedTask;
        }
        var message = e.ApplicationMessage;
        var acknowledged = message.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce;
        if (Overrun(connection, message, acknowledged) is { } overrun)
        {
            // Answered with a refusal if the acknowledgement leaves before the disconnect does; never stored.
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            if (acknowledged) connection.Pending.Enqueue(Task.CompletedTask);
            metrics.MqttMessage(overrun.Result);
            Disconnect(connection, overrun.Code, overrun.Reason);
            return Task.CompletedTask;
        }

        var payload = message.Payload;
        var outcome = MqttMessages.Parse(connection, message.Topic, payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray(), devices, Clock.NowMicros());
        if (outcome.Drafts is { } drafts)
        {
            var commit = CommitAsync(connection, drafts);
            if (acknowledged) connection.Pending.Enqueue(commit);
            else _ = commit.ContinueWith(failed => failed.Exception, TaskContinuationOptions.OnlyOnFaulted);
            return Task.CompletedTask;
        }
        metrics.MqttMessage(outcome.Result);
        if (connection.IsVersion5 && acknowledged)
        {
            e.Response.ReasonCode = outcome.Code;
            e.Response.ReasonString = outcome.Reason;
            Log.Refused(logger, connection.ClientId, outcome.Code, outcome.Reason ?? "");
        }
        else
        {
            // MQTT 3.1.1 has no way to refuse a message, and QoS 0 no answer at all: dropped, counted and logged.
            Log.Dropped(logger, connection.ClientId, message.Topic, outcome.Reason ?? outcome.Result);
        }
        if (acknowledged) connection.Pending.Enqueue(Task.CompletedTask);
        return Task.CompletedTask;
    }

    /// <summary>A client over one of its limits, and what it is told as it is disconnected; null when within them.</summary>
    private (string Result, MqttDisconnectReasonCode Code, string Reason)? Overrun(MqttConnection connection, MQTTnet.MqttApplicationMessage message, bool acknowledged)
    {
        if (!connection.TryCountPublish(_options.MaxPublishesPerSecond, Environment.TickCount64 * TimeSpan.TicksPerMillisecond))
            return ("rate_limited", MqttDisconnectReasonCode.MessageRateTooHigh, $"more than {_options.MaxPublishesPerSecond} publishes per second");
        if (message.Payload.Length > _options.MaxPayloadBytes)
            return ("too_large", MqttDisconnectReasonCode.PacketTooLarge, $"payloads are limited to {_options.MaxPayloadBytes} bytes");
        if (acknowledged && connection.Pending.Count >= _options.MaxInFlight)
            return ("in_flight", MqttDisconnectReasonCode.ReceiveMaximumExceeded, $"more than {_options.MaxInFlight} unacknowledged messages");
        return null;
    }

    private async Task CommitAsync(MqttConnection connection, EventDraft[] drafts)
    {
        try
        {
            await writer.WriteAsync(drafts, CancellationToken.None);
            metrics.MqttMessage("stored");
        }
        catch (Exception e) when (e is IngestBackpressureException or StorageUnavailableException)
        {
            metrics.MqttMessage("failed");
            Log.CommitFailed(logger, connection.ClientId, e.Message);
            throw;
        }
    }

    /// <summary>Holds a PUBACK or PUBREC until the message it answers is committed; a message that was not is never acknowledged.</summary>
    private async Task OnOutboundAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttConnAckPacket connAck)
        {
            connAck.ReceiveMaximum = (ushort)Math.Min(_options.MaxInFlight, ushort.MaxValue);
            return;
        }
        if (e.Packet is not (MqttPubAckPacket or MqttPubRecPacket)) return;
        if (e.SessionItems[MqttConnection.ItemKey] is not MqttConnection connection || !connection.Pending.TryDequeue(out var commit)) return;
        try
        {
            await commit;
        }
        catch (Exception)
        {
            // The client sends it again once it reconnects; the messages after it may still be acknowledged meanwhile.
            e.ProcessPacket = false;
            Disconnect(connection, MqttDisconnectReasonCode.ServerBusy, "the message could not be stored now: publish it again");
        }
    }

    private void Disconnect(MqttConnection connection, MqttDisconnectReasonCode code, string reason)
    {
        Log.Disconnected(logger, connection.ClientId, code, reason);
        // Off the broker's loops: disconnecting waits for them.
        _ = Task.Run(async () =>
        {
            try
            {
                await _server!.DisconnectClientAsync(connection.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = code, ReasonString = reason });
            }
            catch (InvalidOperationException)
            {
                // Gone already.
            }
        });
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.MqttRefused, Level = LogLevel.Information, Message = "MQTT client {ClientId} refused ({Code}): {Reason}")]
        public static partial void Refused(ILogger logger, string? clientId, object code, string reason);

        [LoggerMessage(EventId = LogEvents.MqttDropped, Level = LogLevel.Warning, Message = "MQTT message from {ClientId} on {Topic} dropped (the client cannot be told): {Reason}")]
        public static partial void Dropped(ILogger logger, string clientId, string topic, string reason);

        [LoggerMessage(EventId = LogEvents.MqttCommitFailed, Level = LogLevel.Warning, Message = "MQTT message from {ClientId} not stored, so not acknowledged: {Reason}")]
        public static partial void CommitFailed(ILogger logger, string clientId, string reason);

        [LoggerMessage(EventId = LogEvents.MqttDisconnected, Level = LogLevel.Warning, Message = "MQTT client {ClientId} disconnected ({Code}): {Reason}")]
        public static partial void Disconnected(ILogger logger, string clientId, object code, string reason);
    }
}
