using Fleetwatch.Model;

namespace Fleetwatch.Connectivity;

/// <summary>The inactivity timeouts (on projects and devices) and the transitions recorded so far.</summary>
public interface IConnectivityStore
{
    /// <summary>The projects that set their own timeout.</summary>
    Task<IReadOnlyDictionary<long, int>> LoadProjectTimeoutsAsync(CancellationToken ct);

    /// <summary>False when the project does not exist.</summary>
    Task<bool> SetProjectTimeoutAsync(long projectId, int? seconds, CancellationToken ct);

    /// <summary>False when the device does not exist.</summary>
    Task<bool> SetDeviceTimeoutAsync(long deviceId, int? seconds, CancellationToken ct);

    /// <summary>Each device's latest connectivity event (by time, a tie to the later write).</summary>
    Task<IReadOnlyList<StoredEvent>> LoadLatestTransitionsAsync(MetricDictionary metrics, CancellationToken ct);
}
