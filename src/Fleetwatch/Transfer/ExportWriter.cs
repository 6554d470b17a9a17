using System.Buffers;
using System.Text.Json;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Transfer;

/// <summary>Writes events to a stream in one <see cref="ExportFormat"/>, holding at most a bounded buffer, whatever the export's size.</summary>
public abstract class ExportWriter : IAsyncDisposable
{
    public static ExportWriter For(ExportFormat format, Stream output) => format switch
    {
        ExportFormat.Csv => new CsvExportWriter(output),
        ExportFormat.Parquet => new ParquetExportWriter(output),
        _ => new NdjsonExportWriter(output),
    };

    /// <summary>Rows written so far: values (one per metric, one for an event without any) or, in NDJSON, events.</summary>
    public long Rows { get; protected set; }

    public abstract ValueTask WriteAsync(string deviceId, StoredEvent e, CancellationToken ct);

    /// <summary>Writes what is buffered and the format's ending (Parquet's footer).</summary>
    public abstract ValueTask CompleteAsync(CancellationToken ct);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// Files, not web pages: quotes, non-ASCII letters and HTML's characters are written as themselves (°C, not \u00B0C),
    /// as data tools expect; control characters are still escaped.
    /// </summary>
    protected static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>A value as JSON text: numbers as they are, strings quoted, objects and arrays as they came.</summary>
    protected static string Literal(FieldValue value)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        using (var json = new Utf8JsonWriter(buffer, Options)) EventJson.WriteValue(json, value);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary><c>{"device_id":…,"ts":…,"kind":…,"payload":{…}}</c>, one event per line.</summary>
internal sealed class NdjsonExportWriter(Stream output) : ExportWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private Utf8JsonWriter? _json;

    public override async ValueTask WriteAsync(string deviceId, StoredEvent e, CancellationToken ct)
    {
        _json ??= new Utf8JsonWriter(_buffer, Options);
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteString("device_id", deviceId);
        _json.WriteString("ts", Timestamps.Format(e.TsMicros));
        _json.WriteString("kind", EventJson.KindName(e.Kind));
        EventJson.WriteFields(_json, "payload", e.Fields);
        _json.WriteEndObject();
        _json.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        Rows++;
        if (_buffer.WrittenCount >= 60 * 1024) await FlushAsync(ct);
    }

    public override async ValueTask CompleteAsync(CancellationToken ct) => await FlushAsync(ct);

    private async ValueTask FlushAsync(CancellationToken ct)
    {
        await output.WriteAsync(_buffer.WrittenMemory, ct);
        _buffer.ResetWrittenCount();
    }

    public override ValueTask DisposeAsync()
    {
        _json?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// <c>device_id,ts,kind,metric,value</c>: one row per value, the value as JSON text (numbers bare, strings quoted),
/// so types survive a round trip; an event without values (a heartbeat) is one row with metric and value empty.
/// </summary>
internal sealed class CsvExportWriter(Stream output) : ExportWriter
{
    public const string Header = "device_id,ts,kind,metric,value";
    private readonly StreamWriter _text = new(output, new System.Text.UTF8Encoding(false), 64 * 1024) { NewLine = "\n" };
    private bool _started;

    public override async ValueTask WriteAsync(string deviceId, StoredEvent e, CancellationToken ct)
    {
        if (!_started)
        {
            _started = true;
            await _text.WriteLineAsync(Header);
        }
        var prefix = $"{Csv.Escape(deviceId)},{Timestamps.Format(e.TsMicros)},{EventJson.KindName(e.Kind)},";
        if (e.Fields.Length == 0)
        {
            await _text.WriteLineAsync(prefix + ",");
            Rows++;
        }
        foreach (var field in e.Fields)
        {
            await _text.WriteLineAsync($"{prefix}{Csv.Escape(field.Name)},{Csv.Escape(Literal(field.Value))}");
            Rows++;
        }
    }

    public override async ValueTask CompleteAsync(CancellationToken ct)
    {
        if (!_started) await _text.WriteLineAsync(Header);
        await _text.FlushAsync(ct);
    }

    public override async ValueTask DisposeAsync() => await _text.DisposeAsync();
}
