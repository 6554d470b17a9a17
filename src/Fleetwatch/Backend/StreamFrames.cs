using System.Text.Json;
using Fleetwatch.Connectivity;
using Fleetwatch.Model;
using Fleetwatch.Streams;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Backend;

/// <summary>The stream's JSON frames.</summary>
public static class StreamFrames
{
    public static void Ack(Utf8JsonWriter json, string message)
    {
        json.WriteStartObject();
        json.WriteString("type", "ack");
        json.WriteString("message", message);
        json.WriteEndObject();
    }

    public static void Pong(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("type", "pong");
        json.WriteEndObject();
    }

    public static void Error(Utf8JsonWriter json, string code, string message)
    {
        json.WriteStartObject();
        json.WriteString("type", "error");
        json.WriteString("code", code);
        json.WriteString("message", message);
        json.WriteEndObject();
    }

    /// <summary>A gap marker when <paramref name="dropped"/> is not 0, else the item: a reading, or a connectivity transition.</summary>
    public static void Next(Utf8JsonWriter json, long dropped, StreamItem item)
    {
        if (dropped != 0) Gap(json, dropped);
        else if (item.Event.Kind == EventKind.Connectivity) Connectivity(json, item);
        else Reading(json, item);
    }

    /// <summary>A device became active or inactive: <c>{"type":"connectivity","device_id","state","since","reason"}</c>.</summary>
    public static void Connectivity(Utf8JsonWriter json, StreamItem item)
    {
        json.WriteStartObject();
        json.WriteString("type", "connectivity");
        json.WriteString("device_id", item.ExternalId);
        foreach (var name in (ReadOnlySpan<string>)[ConnectivityTracker.StateField, ConnectivityTracker.SinceField, ConnectivityTracker.ReasonField])
            json.WriteString(name, item.Event.Get(name)?.Text);
        json.WriteEndObject();
    }

    /// <summary>Sent when a subscriber lost events: how many when it was too slow, null when the count is unknown (a resync).</summary>
    public static void Gap(Utf8JsonWriter json, long dropped)
    {
        json.WriteStartObject();
        json.WriteString("type", "gap");
        if (dropped > 0) json.WriteNumber("dropped", dropped);
        else json.WriteNull("dropped");
        json.WriteEndObject();
    }

    public static void Reading(Utf8JsonWriter json, StreamItem item)
    {
        json.WriteStartObject();
        json.WriteString("type", "reading");
        json.WriteString("device_id", item.ExternalId);
        json.WriteString("kind", EventJson.KindName(item.Event.Kind));
        json.WritePropertyName("data");
        EventJson.WriteReading(json, item.Event, item.ExternalId);
        json.WriteEndObject();
    }
}
