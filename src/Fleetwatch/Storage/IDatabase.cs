using Fleetwatch.Auth;
using Fleetwatch.Model;

namespace Fleetwatch.Storage;

/// <summary>What every engine provides beyond the features' own store interfaces: schema, health and tenancy basics.</summary>
public interface IDatabase : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgresql".</summary>
    string Engine { get; }

    /// <summary>
    /// Applies pending migrations and, on the very first start, creates the default org and project and stores
    /// <paramref name="bootstrapKey"/> as the server administrator key. Safe when several nodes start at once.
    /// </summary>
    Task<BootstrapOutcome> MigrateAsync(NewApiKey bootstrapKey, CancellationToken ct);

    Task<bool> PingAsync(CancellationToken ct);

    /// <summary>A connection for stores whose SQL is the same on both engines (see <see cref="PortableRuleStore"/>).</summary>
    Task<System.Data.Common.DbConnection> OpenConnectionAsync(CancellationToken ct);

    Task LoadMetricsAsync(MetricDictionary metrics, CancellationToken ct);

    /// <summary>Finds or creates the org and the project by name; returns the project id.</summary>
    Task<long> EnsureProjectAsync(string orgName, string projectName, CancellationToken ct);

    Task<long?> FindProjectAsync(string nameOrId, CancellationToken ct);
}

/// <param name="CreatedBootstrapKey">True only on the start that created the default project and stored the key.</param>
public sealed record BootstrapOutcome(long DefaultProjectId, bool CreatedBootstrapKey);
