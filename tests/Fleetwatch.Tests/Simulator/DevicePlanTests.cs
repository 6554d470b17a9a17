using Fleetwatch.Simulator;

namespace Fleetwatch.Tests.Simulator;

public sealed class DevicePlanTests
{
    private static readonly Behaviour Perfect = new(Minutes: 481, OutageChancePerMinute: 0, MissedHeartbeatChance: 0, DuplicateChance: 0, LateChance: 0, UploadChancePerMinute: 0);

    [Fact]
    public void APerfectDevice_HasAHeartbeatEveryMinute_AndTheFormulasFigure()
    {
        var plan = DevicePlan.Create(0, "d", Perfect, seed: 1);
        Assert.Equal(481, plan.Heartbeats);
        Assert.Equal(481 * 100.0 / 480, plan.ExpectedUptime);
        Assert.Equal("0s", plan.ExpectedAverageUploadTime);
        Assert.Equal(Enumerable.Range(0, 481), plan.Deliveries.Select(d => d.Slot));
    }

    [Fact]
    public void DuplicatesAndLateDeliveries_DoNotChangeTheExpectation()
    {
        var plan = DevicePlan.Create(0, "d", Perfect with { DuplicateChance = 1, LateChance = 0.5 }, seed: 1);
        Assert.Equal(962, plan.Heartbeats);
        Assert.Equal(481 * 100.0 / 480, plan.ExpectedUptime);
        var minutes = plan.Deliveries.Select(d => d.SentAtNanoseconds / 60_000_000_000).ToList();
        Assert.NotEqual(minutes.Order(), minutes);
    }

    [Fact]
    public void OutagesAndUploads_AreCountedFromWhatWasSent()
    {
        var plan = DevicePlan.Create(7, "d", new Behaviour(Minutes: 2000, OutageChancePerMinute: 0.01), seed: 3);
        var heartbeatMinutes = plan.Deliveries.Where(d => d.IsHeartbeat).Select(d => d.SentAtNanoseconds / 60_000_000_000).Distinct().ToList();
        Assert.InRange(heartbeatMinutes.Count, 1000, 1999);
        Assert.Equal(heartbeatMinutes.Count * 100.0 / (heartbeatMinutes.Max() - heartbeatMinutes.Min()), plan.ExpectedUptime);

        var uploads = plan.Deliveries.Where(d => !d.IsHeartbeat).Select(d => d.UploadNanoseconds).ToList();
        Assert.Equal(uploads.Count, plan.Uploads);
        Assert.Equal(Fleetwatch.Fleet.GoDuration.Format((long)(uploads.Select(u => (decimal)u).Sum() / uploads.Count)), plan.ExpectedAverageUploadTime);
        // Same seed, same plan: a failing run can be replayed.
        Assert.Equal(plan.Deliveries, DevicePlan.Create(7, "d", new Behaviour(Minutes: 2000, OutageChancePerMinute: 0.01), seed: 3).Deliveries);
    }
}
