using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Connectivity;

public sealed class PostgresConnectivityTests(PostgresConnectivityFixture fixture)
    : ConnectivityTests(new PostgresBackend(), fixture), IClassFixture<PostgresConnectivityFixture>
{
    /// <summary>Both nodes track every device; the one holding the lock records each transition, once; when it stops, the other takes over.</summary>
    [Fact]
    public async Task TwoNodes_RecordEachTransitionOnce_AndTheSecondTakesOverWhenTheFirstStops()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        // Started first, the first node takes the lock; the second retries every two seconds.
        var first = await TestServer.StartAsync(database, FastChecks);
        await using var second = await TestServer.StartAsync(database, FastChecks);
        Tenant tenant;
        long deviceId;
        try
        {
            tenant = await TenantWithTimeoutAsync(first, 1);
            deviceId = await tenant.AddDeviceAsync(first, "shared");
            await Task.Delay(500); // the timeout reaches the other node through NOTIFY
            for (var i = 0; i < 4; i++) await (i % 2 == 0 ? first : second).Client.PostJsonAsync("/status", Status("shared"), tenant.Key);
            Assert.Equal(2, (await WaitForTransitionsAsync(first, tenant, deviceId, 2)).Length);
            await Task.Delay(1000);
            Assert.Equal(["inactive", "active"], (await TransitionsAsync(second, tenant, deviceId)).Select(t => t.Str("state")));
        }
        finally
        {
            await first.DisposeAsync();
        }
        // The leader stopped: the other node takes the lock and records what follows.
        await second.Client.PostJsonAsync("/status", Status("shared"), tenant.Key);
        var after = await WaitForTransitionsAsync(second, tenant, deviceId, 4, timeoutMs: 30_000);
        Assert.Equal(["inactive", "active", "inactive", "active"], after.Select(t => t.Str("state")));
    }
}
