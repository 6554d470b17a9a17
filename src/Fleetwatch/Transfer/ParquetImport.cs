using System.Globalization;
using Fleetwatch.Model;
using Parquet;

namespace Fleetwatch.Transfer;

/// <summary>
/// Reads the Parquet export back: consecutive rows of one device, time and kind are one event, and each value is
/// given back as its <c>type</c> column says. Parquet keeps its index at the end of the file, so the body is spooled to
/// a temporary file first (deleted when closed) and read a row group at a time: memory stays bounded.
/// </summary>
public static class ParquetImport
{
    public static async Task<string?> ReadAsync(Stream body, Func<ImportedEvent?, ImportError?, Task> add, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fleetwatch-import-{Guid.NewGuid():N}.parquet");
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await body.CopyToAsync(file, ct);
        file.Position = 0;
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(file, cancellationToken: ct);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            return "the body is not a Parquet file";
        }
        await using (reader)
        {
            var fields = reader.Schema.GetDataFields().ToDictionary(f => f.Name, StringComparer.Ordinal);
            if (ParquetExportWriter.Columns.FirstOrDefault(c => !fields.ContainsKey(c)) is { } missing)
                return $"column {missing} is missing: the file must have the export's columns ({string.Join(", ", ParquetExportWriter.Columns)})";
            ImportedEvent? current = null;
            var values = new List<Field>();
            long row = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var n = (int)group.RowCount;
                var devices = new string?[n];
                var times = new DateTime[n];
                var kinds = new string?[n];
                var metrics = new string?[n];
                var numbers = new double?[n];
                var texts = new string?[n];
                var types = new string?[n];
                await group.ReadAsync(fields["device_id"], devices.AsMemory(), null, ct);
                await group.ReadAsync(fields["ts"], times.AsMemory(), null, ct);
                await group.ReadAsync(fields["kind"], kinds.AsMemory(), null, ct);
                await group.ReadAsync(fields["metric"], metrics.AsMemory(), null, ct);
                await group.ReadAsync(fields["value"], numbers.AsMemory(), null, ct);
                await group.ReadAsync(fields["text"], texts.AsMemory(), null, ct);
                await group.ReadAsync(fields["type"], types.AsMemory(), null, ct);
                for (var i = 0; i < n; i++)
                {
                    row++;
                    var ts = (times[i].Ticks - DateTime.UnixEpoch.Ticks) / 10;
                    var (made, error) = ImportParser.Event(row, devices[i], kinds[i] ?? "", ts);
                    FieldValue? value = null;
                    if (error is null && metrics[i] is { Length: > 0 })
                    {
                        value = ValueOf(types[i], numbers[i], texts[i]);
                        if (value is null) error = new ImportError(row, "type", "must be int, double, bool, text, json or null, with the value in its column");
                    }
                    if (error is not null)
                    {
                        await add(null, error);
                        continue;
                    }
                    var e = made!.Value;
                    var sameEvent = current is { } c && c.DeviceId == e.DeviceId && c.Kind == e.Kind && c.TsMicros == e.TsMicros && value is not null;
                    if (!sameEvent)
                    {
                        if (current is { } done) await add(done with { Fields = [.. values] }, null);
                        current = e;
                        values.Clear();
                    }
                    if (value is { } v) values.Add(new Field(metrics[i]!, v));
                }
            }
            if (current is { } last) await add(last with { Fields = [.. values] }, null);
        }
        return null;
    }

    private static FieldValue? ValueOf(string? type, double? number, string? text) => type switch
    {
        "int" when number is { } d && d == Math.Floor(d) && Math.Abs(d) < 9.007199254740992E15 => FieldValue.Of((long)d),
        "double" when number is { } d && double.IsFinite(d) => FieldValue.Of(d),
        "bool" when text is "true" or "false" => FieldValue.Of(text == "true"),
        "text" when text is not null => FieldValue.Of(text),
        "json" when text is not null => new FieldValue(ValueTag.Json, Text: text),
        "null" => new FieldValue(ValueTag.Null),
        _ => null,
    };
}
