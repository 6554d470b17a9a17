using System.Numerics;
using Fleetwatch.Fleet;

namespace Fleetwatch.Simulator;

/// <summary>
/// One request the simulator sends: a heartbeat (<see cref="UploadNanoseconds"/> &lt; 0) or an upload stat of
/// device <see cref="Device"/>, sent at <see cref="SentAtNanoseconds"/> past the start of the period, delivered
/// in <see cref="Slot"/> (a minute of the period, later than its own minute when the delivery is late).
/// </summary>
public readonly record struct PlannedReport(int Device, int Slot, long SentAtNanoseconds, long UploadNanoseconds)
{
    public bool IsHeartbeat => UploadNanoseconds < 0;
}

/// <summary>How a simulated device behaves; the defaults give a realistic, slightly unreliable fleet.</summary>
public sealed record Behaviour(
    int Minutes = 480,
    double OutageChancePerMinute = 0.004,
    int LongestOutageMinutes = 45,
    double MissedHeartbeatChance = 0.005,
    double DuplicateChance = 0.02,
    double LateChance = 0.03,
    int LatestDeliveryMinutes = 15,
    double UploadChancePerMinute = 0.1);

/// <summary>
/// The heartbeats and stats one device sends over the period, and the figures a correct server must then
/// report. The expectation is computed here from what was sent (which minutes had a heartbeat, the exact sum
/// of upload times), independently of the server's own bookkeeping.
/// </summary>
public sealed class DevicePlan
{
    private const long NanosPerMinute = 60_000_000_000;

    private DevicePlan(string deviceId, List<PlannedReport> deliveries, int distinctMinutes, int firstMinute, int lastMinute, BigInteger uploadSum, int uploads)
    {
        DeviceId = deviceId;
        Deliveries = deliveries;
        Heartbeats = deliveries.Count(d => d.IsHeartbeat);
        Uploads = uploads;
        HasData = deliveries.Count > 0;
        ExpectedUptime = distinctMinutes == 0 ? 0 : lastMinute == firstMinute ? 100 : distinctMinutes * 100.0 / (lastMinute - firstMinute);
        ExpectedAverageUploadTime = GoDuration.Format(uploads == 0 ? 0 : (long)BigInteger.Divide(uploadSum, uploads));
    }

    public string DeviceId { get; }
    public IReadOnlyList<PlannedReport> Deliveries { get; }
    public int Heartbeats { get; }
    public int Uploads { get; }
    /// <summary>False for a device that sent nothing, which the server answers with 204.</summary>
    public bool HasData { get; }
    public double ExpectedUptime { get; }
    public string ExpectedAverageUploadTime { get; }

    public static DevicePlan Create(int device, string deviceId, Behaviour behaviour, int seed)
    {
        var random = new Random(HashCode.Combine(seed, device));
        var deliveries = new List<PlannedReport>();
        var onlineMinutes = new bool[behaviour.Minutes];
        var outageLeft = 0;
        var uploadSum = BigInteger.Zero;
        var uploads = 0;

        for (var minute = 0; minute < behaviour.Minutes; minute++)
        {
            if (outageLeft > 0) { outageLeft--; continue; }
            if (random.NextDouble() < behaviour.OutageChancePerMinute)
            {
                outageLeft = random.Next(1, behaviour.LongestOutageMinutes + 1) - 1;
                continue;
            }
            if (random.NextDouble() < behaviour.MissedHeartbeatChance) continue;

            onlineMinutes[minute] = true;
            deliveries.Add(new PlannedReport(device, DeliverySlot(random, minute, behaviour), SentAt(random, minute), -1));
            // A retried request: the same minute arrives twice, and must count once.
            if (random.NextDouble() < behaviour.DuplicateChance)
                deliveries.Add(new PlannedReport(device, DeliverySlot(random, minute, behaviour), SentAt(random, minute), -1));

            if (random.NextDouble() < behaviour.UploadChancePerMinute)
            {
                var uploadTime = UploadTime(random);
                uploadSum += uploadTime;
                uploads++;
                deliveries.Add(new PlannedReport(device, DeliverySlot(random, minute, behaviour), SentAt(random, minute), uploadTime));
            }
        }

        // Stable sort by delivery slot: late deliveries overtake nothing but arrive after later minutes.
        var ordered = deliveries.OrderBy(d => d.Slot).ToList();
        var first = Array.IndexOf(onlineMinutes, true);
        var last = Array.LastIndexOf(onlineMinutes, true);
        return new DevicePlan(deviceId, ordered, onlineMinutes.Count(online => online), first, last, uploadSum, uploads);
    }

    private static int DeliverySlot(Random random, int minute, Behaviour behaviour) =>
        random.NextDouble() < behaviour.LateChance ? minute + random.Next(1, behaviour.LatestDeliveryMinutes + 1) : minute;

    private static long SentAt(Random random, int minute) => minute * NanosPerMinute + random.NextInt64(NanosPerMinute);

    /// <summary>Upload times from half a second to about six minutes, to the nanosecond.</summary>
    private static long UploadTime(Random random) => 500_000_000 + (long)(Math.Pow(random.NextDouble(), 2) * 360_000_000_000);
}
