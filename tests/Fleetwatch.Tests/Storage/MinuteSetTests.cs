using Fleetwatch.Fleet;

namespace Fleetwatch.Tests.Storage;

public sealed class MinuteSetTests
{
    [Fact]
    public void CountBetween_AgreesWithCountingOneByOne_AcrossChunksAndBeforeTheEpoch()
    {
        var random = new Random(5);
        var set = new MinuteSet();
        var minutes = new HashSet<long>();
        for (var i = 0; i < 5000; i++)
        {
            var minute = random.NextInt64(-20_000, 20_000);
            set.Add(minute);
            minutes.Add(minute);
        }
        for (var i = 0; i < 300; i++)
        {
            var from = random.NextInt64(-25_000, 25_000);
            var to = from + random.NextInt64(0, 9_000);
            Assert.Equal(minutes.Count(m => m >= from && m < to), set.CountBetween(from, to));
        }
        Assert.Equal(minutes.Count, set.CountBetween(-30_000, 30_000));
        Assert.Equal(0, set.CountBetween(40_000, 50_000));
    }
}
