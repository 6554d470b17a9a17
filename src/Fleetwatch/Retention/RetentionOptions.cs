using System.ComponentModel;

namespace Fleetwatch.Retention;

public sealed class RetentionOptions
{
    [Description("Days raw events are kept, for projects without their own (empty: forever).")]
    public int? RawDays { get; set; }

    [Description("Days hourly rollups are kept, for projects without their own (empty: forever); at least RawDays.")]
    public int? RollupDays { get; set; }

    [Description("How often expired events and rollups are deleted, and the database's size checked.")]
    public int IntervalMs { get; set; } = 300_000;

    [Description("Events deleted per statement: on SQLite each is a turn of the writer, a few milliseconds, and while ingest goes on deletes take at most a tenth of its time.")]
    public int BatchRows { get; set; } = 100;

    [Description("A size the database should stay under, in bytes (empty: none). Past 90% of it, a warning is logged at every check and fleetwatch_database_over_cap reads 1.")]
    public long? MaxDatabaseBytes { get; set; }
}
