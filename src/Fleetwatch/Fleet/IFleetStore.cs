using Fleetwatch.Model;

namespace Fleetwatch.Fleet;

public interface IFleetStore
{
    /// <summary>Replays every stored heartbeat and upload stat into <paramref name="state"/> (at start).</summary>
    Task LoadFleetStateAsync(FleetState state, MetricDictionary metrics, CancellationToken ct);
}
