namespace Fleetwatch.Transfer;

/// <summary>
/// The formats history leaves and comes back in. Every format has one row per value, in a fixed column order
/// (device_id, ts, kind, metric, value), so a file's columns never depend on which metrics a fleet sends:
/// NDJSON keeps each event whole instead (<c>{device_id, ts, kind, payload}</c>), one per line.
/// </summary>
public enum ExportFormat
{
    Ndjson,
    Csv,
    Parquet,
}

public static class ExportFormats
{
    public const string Accepted = "ndjson, csv or parquet";

    public static bool TryParse(string? text, out ExportFormat format)
    {
        format = ExportFormat.Ndjson;
        switch (text)
        {
            case null or "" or "ndjson" or "jsonl": return true;
            case "csv": format = ExportFormat.Csv; return true;
            case "parquet": format = ExportFormat.Parquet; return true;
            default: return false;
        }
    }

    public static string ContentType(this ExportFormat format) => format switch
    {
        ExportFormat.Csv => "text/csv; charset=utf-8",
        ExportFormat.Parquet => "application/vnd.apache.parquet",
        _ => "application/x-ndjson",
    };

    public static string Extension(this ExportFormat format) => format switch
    {
        ExportFormat.Csv => "csv",
        ExportFormat.Parquet => "parquet",
        _ => "ndjson",
    };
}
