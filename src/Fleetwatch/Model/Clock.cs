namespace Fleetwatch.Model;

/// <summary>Times are stored as microseconds since the Unix epoch, UTC: the resolution of PostgreSQL's timestamps.</summary>
public static class Clock
{
    public static long NowMicros() => ToMicros(DateTime.UtcNow);

    public static long ToMicros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    public static DateTime FromMicros(long micros) => new(DateTime.UnixEpoch.Ticks + micros * 10, DateTimeKind.Utc);
}
