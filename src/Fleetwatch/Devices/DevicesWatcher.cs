using Fleetwatch.Model;

namespace Fleetwatch.Devices;

/// <summary>
/// On SQLite, which has no notifications: looks once a second at the counter <c>fleetwatch import devices.csv</c>
/// moves (<see cref="IDeviceStore.AnnounceDevicesChangedAsync"/>), and reads every device again when it moved — so
/// devices imported beside a running server are known to it at once, not after a restart. One indexed row per look.
/// </summary>
public sealed class DevicesWatcher(IDeviceStore store, ChangeBus changes) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seen = await store.DevicesVersionAsync(stoppingToken);
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var version = await store.DevicesVersionAsync(stoppingToken);
                if (version == seen) continue;
                await changes.DeliverAsync(ChangeBus.DevicesTopic, "", stoppingToken);
                seen = version;
            }
            catch (Exception e) when (e is System.Data.Common.DbException)
            {
                // The database is busy or away for a moment: the next look tries again.
            }
        }
    }
}
