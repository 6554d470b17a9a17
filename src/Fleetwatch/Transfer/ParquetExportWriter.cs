using Fleetwatch.Model;
using Fleetwatch.Telemetry;
using Parquet;
using Parquet.Schema;

namespace Fleetwatch.Transfer;

/// <summary>
/// The CSV's columns as a Parquet file that pandas, DuckDB or Spark open directly: <c>device_id</c>, <c>ts</c> (a UTC
/// timestamp in microseconds), <c>kind</c>, <c>metric</c>, and the value split by type so numbers stay numbers —
/// <c>value</c> (a double, for numbers) or <c>text</c> (strings as they are; true, false and objects as JSON text), and
/// <c>type</c> (int, double, bool, text, json or null), so an import gives each value back as it was.
/// Rows go out in row groups of <see cref="RowGroupRows"/>, so memory stays bounded whatever the export's size.
/// </summary>
internal sealed class ParquetExportWriter(Stream output) : ExportWriter
{
    public const int RowGroupRows = 65_536;
    private static readonly DataField<string> DeviceField = new("device_id", false);
    private static readonly DateTimeDataField TsField = new("ts", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: false);
    private static readonly DataField<string> KindField = new("kind", false);
    private static readonly DataField<string> MetricField = new("metric", true);
    private static readonly DataField<double?> ValueField = new("value", true);
    private static readonly DataField<string> TextField = new("text", true);
    private static readonly DataField<string> TypeField = new("type", true);
    private static readonly ParquetSchema Schema = new(DeviceField, TsField, KindField, MetricField, ValueField, TextField, TypeField);
    public static readonly string[] Columns = ["device_id", "ts", "kind", "metric", "value", "text", "type"];

    private readonly PositionedStream _output = new(output);
    private readonly List<string> _devices = new(RowGroupRows);
    private readonly List<DateTime> _ts = new(RowGroupRows);
    private readonly List<string> _kinds = new(RowGroupRows);
    private readonly List<string?> _metrics = new(RowGroupRows);
    private readonly List<double?> _values = new(RowGroupRows);
    private readonly List<string?> _texts = new(RowGroupRows);
    private readonly List<string?> _types = new(RowGroupRows);
    private ParquetWriter? _writer;

    public override async ValueTask WriteAsync(string deviceId, StoredEvent e, CancellationToken ct)
    {
        var ts = DateTime.UnixEpoch.AddTicks(e.TsMicros * 10);
        var kind = EventJson.KindName(e.Kind);
        if (e.Fields.Length == 0) Add(deviceId, ts, kind, null, null, null, null);
        foreach (var field in e.Fields)
        {
            var value = field.Value;
            switch (value.Tag)
            {
                case ValueTag.Int: Add(deviceId, ts, kind, field.Name, value.Int, null, "int"); break;
                case ValueTag.Double: Add(deviceId, ts, kind, field.Name, value.Double, null, "double"); break;
                case ValueTag.Text: Add(deviceId, ts, kind, field.Name, null, value.Text, "text"); break;
                case ValueTag.Null: Add(deviceId, ts, kind, field.Name, null, null, "null"); break;
                case ValueTag.True or ValueTag.False: Add(deviceId, ts, kind, field.Name, null, Literal(value), "bool"); break;
                default: Add(deviceId, ts, kind, field.Name, null, Literal(value), "json"); break;
            }
        }
        if (_devices.Count >= RowGroupRows) await WriteRowGroupAsync(ct);
    }

    private void Add(string device, DateTime ts, string kind, string? metric, double? value, string? text, string? type)
    {
        _types.Add(type);
        _devices.Add(device);
        _ts.Add(ts);
        _kinds.Add(kind);
        _metrics.Add(metric);
        _values.Add(value);
        _texts.Add(text);
        Rows++;
    }

    private async ValueTask WriteRowGroupAsync(CancellationToken ct)
    {
        _writer ??= await ParquetWriter.CreateAsync(Schema, _output, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }, cancellationToken: ct);
        if (_devices.Count > 0)
        {
            using var group = _writer.CreateRowGroup();
            await group.WriteAsync(DeviceField, _devices);
            await group.WriteAsync(TsField, (ReadOnlyMemory<DateTime>)_ts.ToArray(), null, null, ct);
            await group.WriteAsync(KindField, _kinds);
            await group.WriteAsync(MetricField, _metrics!);
            await group.WriteAsync(ValueField, (ReadOnlyMemory<double?>)_values.ToArray(), null, null, ct);
            await group.WriteAsync(TextField, _texts!);
            await group.WriteAsync(TypeField, _types!);
        }
        _devices.Clear();
        _ts.Clear();
        _kinds.Clear();
        _metrics.Clear();
        _values.Clear();
        _texts.Clear();
        _types.Clear();
        await _output.DrainAsync(ct);
    }

    public override async ValueTask CompleteAsync(CancellationToken ct)
    {
        await WriteRowGroupAsync(ct);
        await _writer!.DisposeAsync();
        _writer = null;
        await _output.DrainAsync(ct);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_writer is not null) await _writer.DisposeAsync();
    }

    /// <summary>
    /// What the Parquet writer writes to: it writes and flushes synchronously, which an HTTP response refuses, and asks
    /// how far it has written. Bytes wait here (one row group's worth) until <see cref="DrainAsync"/> sends them on.
    /// </summary>
    private sealed class PositionedStream(Stream inner) : Stream
    {
        private readonly MemoryStream _pending = new();
        private long _position;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _position;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _pending.Write(buffer);
            _position += buffer.Length;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public async Task DrainAsync(CancellationToken ct)
        {
            if (_pending.Length == 0) return;
            await inner.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), ct);
            _pending.SetLength(0);
        }
    }
}
