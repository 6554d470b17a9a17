namespace Fleetwatch.Model;

/// <summary>What an event records. Every API writes into the same store; the kind says which API it came from.</summary>
public enum EventKind : byte
{
    Status = 1,
    Heartbeat = 2,
    UploadStat = 3,
    Measurement = 4,
    /// <summary>The server's own record of a device becoming active or inactive (fields state, since, reason); no reading.</summary>
    Connectivity = 5,
}

public static class EventKinds
{
    /// <summary>Whether the device sent it: everything but the server's own connectivity transitions.</summary>
    public static bool IsFromDevice(this EventKind kind) => kind != EventKind.Connectivity;

    /// <summary>Whether it is a reading with values (rollups and rule windows hold these): not a bare heartbeat nor a transition.</summary>
    public static bool IsReading(this EventKind kind) => kind is EventKind.Status or EventKind.UploadStat or EventKind.Measurement;
}

public enum ValueTag : byte
{
    Null = 0,
    False = 1,
    True = 2,
    Int = 3,
    Double = 4,
    Text = 5,
    // Objects and arrays are kept as their compact JSON text: they are rare and never aggregated.
    Json = 6,
}

public readonly record struct FieldValue(ValueTag Tag, long Int = 0, double Double = 0, string? Text = null)
{
    public static FieldValue Of(long value) => new(ValueTag.Int, Int: value);
    public static FieldValue Of(bool value) => new(value ? ValueTag.True : ValueTag.False);
    public static FieldValue Of(double value) => new(ValueTag.Double, Double: value);
    public static FieldValue Of(string value) => new(ValueTag.Text, Text: value);
}

/// <summary>One named value of an event. Names are interned to small integers when stored.</summary>
public readonly record struct Field(string Name, FieldValue Value);

/// <summary>An event as a request hands it to the writer, before it has an id.</summary>
public sealed class EventDraft
{
    public required long ProjectId { get; init; }
    public required string ExternalId { get; init; }
    /// <summary>0 when the device does not exist yet; the writer creates it in the batch's transaction.</summary>
    public long DeviceId { get; set; }
    public required EventKind Kind { get; init; }
    public required long TsMicros { get; init; }
    public required Field[] Fields { get; init; }
    /// <summary>
    /// History imported after the fact (<c>POST /projects/{id}/import</c>): stored, counted and rolled up like any event,
    /// but not news — no rule evaluates it, no live stream shows it, and it does not make the device active.
    /// </summary>
    public bool Backfill { get; init; }
}

/// <summary>An event as committed: device time and server receive time, both microseconds since the Unix epoch, UTC.</summary>
public sealed record StoredEvent(long Id, long DeviceId, EventKind Kind, long TsMicros, long ReceivedMicros, Field[] Fields)
{
    public FieldValue? Get(string name)
    {
        foreach (var field in Fields)
        {
            if (field.Name == name) return field.Value;
        }
        return null;
    }
}

public sealed record NewDevice(long ProjectId, string ExternalId, long DeviceId);

/// <summary>The outcome of one group commit: the events in the order of their drafts, and the devices it created.</summary>
public sealed record CommittedBatch(StoredEvent[] Events, EventDraft[] Drafts, NewDevice[] NewDevices);
