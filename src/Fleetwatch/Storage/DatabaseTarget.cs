using Fleetwatch.Storage.Postgres;
using Fleetwatch.Storage.Sqlite;
using Npgsql;

namespace Fleetwatch.Storage;

/// <summary>
/// Where the data lives, from <c>--db</c> or <c>FLEETWATCH_DB</c>: a PostgreSQL connection string
/// (<c>Host=…</c> or a <c>postgres://</c> URL) or a SQLite file (a path, or <c>Data Source=…</c>). The default is
/// <c>fleetwatch.db</c> in the working directory.
/// </summary>
public sealed record DatabaseTarget(bool IsPostgres, string ConnectionString)
{
    public const string DefaultSqliteFile = "fleetwatch.db";

    public static DatabaseTarget From(IConfiguration configuration) => Parse(configuration["db"]);

    public const string AcceptedForms = "a SQLite file path (fleetwatch.db), \"Data Source=path\", a PostgreSQL connection string " +
        "(\"Host=…;Database=…;Username=…\") or a postgres://user:password@host:port/database URL";

    /// <summary>The target <paramref name="value"/> names; <see cref="Hosting.StartupFailure"/> (bad usage) saying what was understood when it names none.</summary>
    public static DatabaseTarget Parse(string? value)
    {
        value = string.IsNullOrWhiteSpace(value) ? DefaultSqliteFile : value.Trim();
        try
        {
            if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
                return new DatabaseTarget(true, FromUrl(new Uri(value)));
            if (value.Contains("Host=", StringComparison.OrdinalIgnoreCase) || value.Contains("Server=", StringComparison.OrdinalIgnoreCase))
                return new DatabaseTarget(true, new NpgsqlConnectionStringBuilder(value).ConnectionString);
            // Another scheme (mysql://…) would otherwise become a SQLite file named after it.
            if (System.Text.RegularExpressions.Regex.IsMatch(value, "^[A-Za-z][A-Za-z0-9+.-]*://"))
                throw new ArgumentException($"{value.Split("://")[0]}:// is not a database Fleetwatch can use");
            return new DatabaseTarget(false, value.Contains('=') ? new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(value).ConnectionString : $"Data Source={value}");
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException or FormatException or KeyNotFoundException)
        {
            throw new Hosting.StartupFailure($"--db: {Redacted(value)} was not understood ({e.Message.TrimEnd('.')}); use {AcceptedForms}",
                Hosting.StartupFailure.BadUsage);
        }
    }

    /// <summary>The value with any password replaced, for messages.</summary>
    private static string Redacted(string value) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(value, "(?i)(password|pwd)=[^;]*", "$1=***"), "://([^:/@]+):[^@]*@", "://$1:***@");

    public IDatabase Open() => IsPostgres ? new PostgresStore(ConnectionString) : new SqliteStore(ConnectionString);

    /// <summary>Where, without the password: safe to log.</summary>
    public string Describe()
    {
        if (!IsPostgres) return $"SQLite file {Path.GetFullPath(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString).DataSource)}";
        var pg = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"PostgreSQL {pg.Host}:{pg.Port}/{pg.Database}";
    }

    private static string FromUrl(Uri url)
    {
        var userInfo = url.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.IsDefaultPort || url.Port < 0 ? 5432 : url.Port,
            Database = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/')),
        };
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length > 1) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        return builder.ConnectionString;
    }
}
