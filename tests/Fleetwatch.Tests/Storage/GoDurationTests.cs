using Fleetwatch.Fleet;

namespace Fleetwatch.Tests.Storage;

public sealed class GoDurationTests
{
    // Each pair is what Go's time.Duration(n).String() prints.
    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "1ns")]
    [InlineData(999L, "999ns")]
    [InlineData(1_000L, "1µs")]
    [InlineData(1_500L, "1.5µs")]
    [InlineData(1_100_000L, "1.1ms")]
    [InlineData(500_000_000L, "500ms")]
    [InlineData(999_999_999L, "999.999999ms")]
    [InlineData(1_000_000_000L, "1s")]
    [InlineData(1_000_000_001L, "1.000000001s")]
    [InlineData(2_200_000_000L, "2.2s")]
    [InlineData(60_000_000_000L, "1m0s")]
    [InlineData(61_500_000_000L, "1m1.5s")]
    [InlineData(187_893_379_134L, "3m7.893379134s")]
    [InlineData(201_858_747_766L, "3m21.858747766s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(10_800_000_000_001L, "3h0m0.000000001s")]
    [InlineData(long.MaxValue, "2562047h47m16.854775807s")]
    [InlineData(-1L, "-1ns")]
    [InlineData(-1_500L, "-1.5µs")]
    [InlineData(-60_000_000_000L, "-1m0s")]
    [InlineData(long.MinValue, "-2562047h47m16.854775808s")]
    public void MatchesGo(long nanoseconds, string expected)
    {
        Assert.Equal(expected, GoDuration.Format(nanoseconds));
        Assert.Contains('\u00B5', GoDuration.Format(1_500));
    }
}
