using Fleetwatch.Hosting;

namespace Fleetwatch.Storage.Sqlite;

/// <summary>
/// One server per SQLite file: SQLite has one writer, and two servers would each keep their own view of the devices.
/// A server holds an exclusive lock on <c>FILE.lock</c> while it runs (the kernel drops it when the process dies, even
/// by kill -9) and writes its process id to <c>FILE.pid</c>, so a second server can say who holds the file.
/// The CLI's <c>keys</c> and <c>import</c> commands do not take it: they write beside a running server, as SQLite allows.
/// </summary>
public sealed class SqliteServerLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _pidFile;

    private SqliteServerLock(FileStream held, string pidFile)
    {
        _lock = held;
        _pidFile = pidFile;
    }

    /// <summary>Takes the lock for the database file, after checking its directory can be written; a <see cref="StartupFailure"/> says why not.</summary>
    public static SqliteServerLock Acquire(string databaseFile)
    {
        var path = Path.GetFullPath(databaseFile);
        var directory = Path.GetDirectoryName(path)!;
        CheckWritable(path, directory);
        var pidFile = path + ".pid";
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix: a second opener fails at once.
            var held = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(pidFile, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new SqliteServerLock(held, pidFile);
        }
        catch (IOException)
        {
            var holder = File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : "unknown";
            throw new StartupFailure($"{path} is in use by another Fleetwatch server (process {holder}): a SQLite file serves one server; " +
                "stop that one, use another --db, or use PostgreSQL to run several nodes", StartupFailure.CannotStart);
        }
    }

    private static void CheckWritable(string path, string directory)
    {
        if (!Directory.Exists(directory))
        {
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StartupFailure($"cannot create the directory {directory} for {Path.GetFileName(path)}: {e.Message}", StartupFailure.CannotStart);
            }
        }
        var probe = Path.Combine(directory, $".fleetwatch-write-check-{Environment.ProcessId}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupFailure($"cannot write in {directory} (the database {Path.GetFileName(path)} and its journal live there): " +
                "this user needs write and execute permission on the directory, or choose another with --db", StartupFailure.CannotStart);
        }
        if (File.Exists(path) && new FileInfo(path).IsReadOnly)
            throw new StartupFailure($"cannot write {path}: the file is read-only for this user", StartupFailure.CannotStart);
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_pidFile);
        }
        catch (IOException)
        {
            // Left behind, it names a process that no longer holds the lock; the next server overwrites it.
        }
        _lock.Dispose();
    }
}
