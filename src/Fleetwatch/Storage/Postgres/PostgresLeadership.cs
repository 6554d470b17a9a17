using Fleetwatch.Connectivity;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

/// <summary>
/// The node holding a session advisory lock on its own connection leads. When that node stops or its connection
/// drops, PostgreSQL releases the lock and another node takes it within <see cref="RetryInterval"/>.
/// </summary>
public sealed partial class PostgresLeadership(PostgresStore store, ILogger<PostgresLeadership> logger) : BackgroundService, ILeadership
{
    /// <summary>"FWlead" in ASCII: the advisory lock's key, apart from the per-rule keys alerts use (rule × 1,000,003 + device).</summary>
    private const long LockKey = -0x46_57_6C_65_61_64;
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    private volatile bool _isLeader;

    public bool IsLeader => _isLeader;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await LeadWhileConnectedAsync(stoppingToken);
            }
            // Whatever failed, the loop goes on: if it ended, this node could never lead again, and a node that is the last
            // one left would record nothing.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                Log.Lost(logger, e);
                await Task.Delay(RetryInterval, stoppingToken);
            }
        }
    }

    private async Task LeadWhileConnectedAsync(CancellationToken ct)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        try
        {
            while (true)
            {
                // Once held, the lock stays for the session (taking it again would stack it): a ping proves the session lives.
                await using var command = new NpgsqlCommand(_isLeader ? "SELECT true" : "SELECT pg_try_advisory_lock($1)", connection);
                if (!_isLeader) command.Parameters.Add(new NpgsqlParameter { Value = LockKey });
                if ((bool)(await command.ExecuteScalarAsync(ct))! && !_isLeader)
                {
                    _isLeader = true;
                    Log.Gained(logger);
                }
                await Task.Delay(RetryInterval, ct);
            }
        }
        finally
        {
            // Stopping (or the session lost): another node may take over at once rather than when the pooled session ends.
            if (_isLeader)
            {
                _isLeader = false;
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
                try
                {
                    await unlock.ExecuteNonQueryAsync(CancellationToken.None);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    // The session is gone, and its locks with it.
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.LeadershipGained, Level = LogLevel.Information, Message = "This node now records connectivity transitions and inactivity alerts")]
        public static partial void Gained(ILogger logger);

        [LoggerMessage(EventId = LogEvents.LeadershipLost, Level = LogLevel.Warning, Message = "The connection for the connectivity lock failed; retrying (another node may lead meanwhile)")]
        public static partial void Lost(ILogger logger, Exception exception);
    }
}
