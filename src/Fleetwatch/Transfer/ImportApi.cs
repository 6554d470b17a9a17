using System.Text;
using System.Text.Json;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Platform;
using Fleetwatch.Telemetry;
using Microsoft.AspNetCore.Http.Features;

namespace Fleetwatch.Transfer;

/// <summary>
/// History into the server: <c>POST /projects/{project_id}/import</c> takes an export back (NDJSON, CSV or Parquet) or
/// ThingsBoard's <c>{ts, values}</c> JSON, and stores it through the one writer in batches, as backfill (see
/// <see cref="EventDraft.Backfill"/>). Idempotent: a reading already stored — same device, kind and timestamp — is
/// counted as a duplicate and not stored again, so a failed or repeated import can simply be run again.
/// </summary>
public static class ImportApi
{
    public const int BatchEvents = 1000, InFlightBatches = 4;
    public const int MaxReportedErrors = 100;
    /// <summary>ThingsBoard's format is one JSON document, read whole: NDJSON and CSV stream and have no limit.</summary>
    private const int MaxThingsBoardBytes = 64 * 1024 * 1024;

    public sealed record ImportReport(long Imported, long Duplicates, long Rejected, IReadOnlyList<ImportError> Errors);

    public static void MapImport(this IEndpointRouteBuilder routes)
    {
        routes.MapPlatformGroup("/projects/{project_id:long}/import", ApiTags.Fleetwatch)
            .MapPost("", ImportAsync)
            .RequireAccess(Access.Admin, "Importing history needs an admin key of the project")
            .Produces<ImportReport>()
            .WithSummary("Import history (backfill)")
            .WithDescription("`format` ndjson, csv or parquet (the export's formats; any size) or thingsboard (`[{\"ts\": <Unix ms>, \"values\": {…}}]` " +
                "for the one device named by `device_id`, up to 64 MB); without `format`, the Content-Type says (application/x-ndjson, text/csv, " +
                "application/json). Devices that do not exist are created. A reading already stored (same device, kind and timestamp) is not stored " +
                "again: run an import twice and the second stores nothing. Imported events count in history, aggregates and rollups, but raise no " +
                "alert, reach no live stream and do not make a device active. Lines that cannot be read are reported (the first 100, with their " +
                "line number and field); the others are stored.");
    }

    private static async Task<IResult> ImportAsync(long project_id, string? format, string? device_id, HttpContext http,
        IngestWriter writer, DeviceRegistry devices, ITelemetryStore store)
    {
        var kind = format ?? (http.Request.ContentType ?? "").Split(';')[0].Trim() switch
        {
            "text/csv" => "csv",
            "application/json" => "thingsboard",
            "application/vnd.apache.parquet" => "parquet",
            _ => "ndjson",
        };
        if (kind is not ("ndjson" or "csv" or "parquet" or "thingsboard")) return Problems.Validation("format", "must be ndjson, csv, parquet or thingsboard");
        if (kind == "thingsboard" && string.IsNullOrEmpty(device_id)) return Problems.Validation("device_id", "is required with format=thingsboard: the device the readings belong to");
        // Streamed in batches: an import is as large as the history it carries.
        if (kind != "thingsboard" && http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;

        var batch = new ImportBatch(project_id, writer, devices, store, http.RequestAborted);
        if (kind == "parquet")
        {
            if (await ParquetImport.ReadAsync(http.Request.Body, batch.AddAsync, http.RequestAborted) is { } refused)
            {
                await batch.FlushAsync();
                return Problems.Validation("body", refused);
            }
        }
        else if (kind == "thingsboard")
        {
            var (body, problem) = await JsonBody.ReadAsync(http.Request, MaxThingsBoardBytes);
            if (problem is not null) return problem;
            using (body)
            {
                List<(ImportedEvent?, ImportError?)> items;
                try { items = [.. ImportParser.ParseThingsBoard(body.Span.ToArray(), device_id!)]; }
                catch (JsonException) { return Problems.BadRequest("The body is not valid JSON: expected [{\"ts\": …, \"values\": {…}}, …]"); }
                foreach (var (e, error) in items) await batch.AddAsync(e, error);
            }
        }
        else
        {
            using var text = new StreamReader(http.Request.Body, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024);
            try
            {
                if (kind == "csv")
                {
                    if (await ReadCsvAsync(text, batch) is { } problem) return problem;
                }
                else
                {
                    long line = 0;
                    while (await text.ReadLineAsync(http.RequestAborted) is { } content)
                    {
                        line++;
                        if (content.Length == 0) continue;
                        var (e, error) = ImportParser.ParseNdjson(line, content);
                        await batch.AddAsync(e, error);
                    }
                }
            }
            catch (DecoderFallbackException)
            {
                await batch.FlushAsync();
                return Problems.Of(StatusCodes.Status400BadRequest, $"The body is not valid UTF-8 after {batch.Imported + batch.Duplicates} stored or known events; " +
                    "the events before that point are stored, and importing the corrected file again stores only the rest");
            }
        }
        await batch.FlushAsync();
        return TypedResults.Ok(new ImportReport(batch.Imported, batch.Duplicates, batch.Rejected, batch.Errors));
    }

    private static async Task<ProblemResult?> ReadCsvAsync(StreamReader text, ImportBatch batch)
    {
        var header = await text.ReadLineAsync();
        if (header?.TrimStart('\uFEFF') != ImportParser.CsvHeader) return Problems.Validation("header", $"the first line must be {ImportParser.CsvHeader}");
        long line = 1;
        var row = new List<string>(5);
        ImportedEvent? current = null;
        var fields = new List<Field>();
        while (await text.ReadLineAsync() is { } content)
        {
            line++;
            var record = content;
            var first = line;
            // A quoted field may hold a line break: the record goes on on the next line.
            while (!Csv.TrySplit(record, row) && await text.ReadLineAsync() is { } more)
            {
                line++;
                record += "\n" + more;
            }
            if (record.Length == 0) continue;
            var (e, field, error) = ImportParser.ParseCsvRow(first, row);
            if (error is not null)
            {
                await batch.AddAsync(null, error);
                continue;
            }
            var sameEvent = current is { } c && c.DeviceId == e!.Value.DeviceId && c.Kind == e.Value.Kind && c.TsMicros == e.Value.TsMicros && field is not null;
            if (!sameEvent)
            {
                if (current is { } done) await batch.AddAsync(done with { Fields = [.. fields] }, null);
                current = e;
                fields.Clear();
            }
            if (field is { } f) fields.Add(f);
        }
        if (current is { } last) await batch.AddAsync(last with { Fields = [.. fields] }, null);
        return null;
    }
}
