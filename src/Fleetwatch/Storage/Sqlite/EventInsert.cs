using Fleetwatch.Model;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Fleetwatch.Storage.Sqlite;

/// <summary>
/// The writer's one statement per event, prepared once on its connection and run through SQLite's own API: bind six
/// values, step, reset. Microsoft.Data.Sqlite binds every parameter by name on every execution, which cost more than
/// the insert itself (store-insert: 307–333k points/s through SqliteCommand, see the README's benchmark section).
/// Runs inside the transaction the writer opened on the same connection.
/// </summary>
internal sealed class EventInsert : IDisposable
{
    private readonly sqlite3_stmt _statement;

    public EventInsert(SqliteConnection connection)
    {
        var rc = raw.sqlite3_prepare_v2(connection.Handle, "INSERT INTO events (device_id, kind, ts, id, received_at, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            out _statement);
        if (rc != raw.SQLITE_OK) throw new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), rc);
    }

    public void Insert(StoredEvent e, long receivedMicros, byte[] payload)
    {
        raw.sqlite3_bind_int64(_statement, 1, e.DeviceId);
        raw.sqlite3_bind_int(_statement, 2, (int)e.Kind);
        raw.sqlite3_bind_int64(_statement, 3, e.TsMicros);
        raw.sqlite3_bind_int64(_statement, 4, e.Id);
        raw.sqlite3_bind_int64(_statement, 5, receivedMicros);
        raw.sqlite3_bind_blob(_statement, 6, payload);
        var rc = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (rc != raw.SQLITE_DONE) throw new SqliteException($"Inserting an event failed: {raw.sqlite3_errstr(rc).utf8_to_string()}", rc);
    }

    public void Dispose() => _statement.Dispose();
}
