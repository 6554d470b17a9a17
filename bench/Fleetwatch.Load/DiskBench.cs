using System.Globalization;
using Fleetwatch.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Fleetwatch.Load;

/// <summary>Bytes on disk per stored event: the whole SQLite file (with its WAL), or the events table with its indexes (every partition) on PostgreSQL.</summary>
public static class DiskBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = DatabaseTarget.Parse(options.Db);
        long bytes, events;
        if (target.IsPostgres)
        {
            await using var connection = new NpgsqlConnection(target.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT (SELECT sum(pg_total_relation_size(relid))::bigint FROM pg_partition_tree('events')), (SELECT count(*) FROM events)", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            (bytes, events) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        else
        {
            var file = new SqliteConnectionStringBuilder(target.ConnectionString).DataSource;
            await using var connection = new SqliteConnection(target.ConnectionString);
            await connection.OpenAsync();
            await using (var checkpoint = new SqliteCommand("PRAGMA wal_checkpoint(TRUNCATE)", connection)) await checkpoint.ExecuteNonQueryAsync();
            await using var command = new SqliteCommand("SELECT count(*) FROM events", connection);
            events = (long)(await command.ExecuteScalarAsync())!;
            bytes = new FileInfo(file).Length + (File.Exists(file + "-wal") ? new FileInfo(file + "-wal").Length : 0);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stored_events {events}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bytes_per_event {(double)bytes / Math.Max(1, events):F1}"));
        return 0;
    }
}
