using Fleetwatch.Http;

namespace Fleetwatch.Tests.Storage;

public sealed class TimestampsTests
{
    [Theory]
    [InlineData("2024-06-14T10:00:00Z", "2024-06-14T10:00:00Z")]
    [InlineData("2024-06-14t10:00:00z", "2024-06-14T10:00:00Z")]
    [InlineData("2024-06-14 10:00:00Z", "2024-06-14T10:00:00Z")]
    [InlineData("2024-06-14T12:00:00+02:00", "2024-06-14T10:00:00Z")]
    [InlineData("2024-06-14T00:30:00-01:30", "2024-06-14T02:00:00Z")]
    [InlineData("2024-06-14T10:00:00.5Z", "2024-06-14T10:00:00.5Z")]
    [InlineData("2024-06-14T10:00:00.123456789Z", "2024-06-14T10:00:00.123456Z")]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z")]
    [InlineData("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z")]
    [InlineData("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z")]
    // No offset is UTC (CONTRACTS.md rev. 2): Python's datetime.utcnow().isoformat(), with and without a fraction.
    [InlineData("2024-06-14T10:00:00.123456", "2024-06-14T10:00:00.123456Z")]
    [InlineData("2024-06-14T10:00:00", "2024-06-14T10:00:00Z")]
    [InlineData("2024-06-14 10:00:00.5", "2024-06-14T10:00:00.5Z")]
    [InlineData("2024-06-14T10:00:00.123456789", "2024-06-14T10:00:00.123456Z")]
    [InlineData("0001-01-01T00:00:00", "0001-01-01T00:00:00Z")]
    public void ParsesRfc3339AndFormatsAsUtc(string input, string expected)
    {
        Assert.True(Timestamps.TryParse(input, out var micros));
        Assert.Equal(expected, Timestamps.Format(micros));
    }

    [Theory]
    [InlineData("2024-06-14")]
    [InlineData("2024-W24-5")]
    [InlineData("2024-06-14T10:00:00.")]
    [InlineData("2024-06-14T10:00Z")]
    [InlineData("2023-02-29T00:00:00Z")]
    [InlineData("2024-06-14T24:00:00Z")]
    [InlineData("2024-06-14T10:00:00.Z")]
    [InlineData("2024-06-14T10:00:00+0200")]
    [InlineData("2024-06-14T10:00:00Z ")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("yesterday")]
    [InlineData("")]
    public void RejectsTextThatIsNotADateTime_OrOutOfRange(string input) => Assert.False(Timestamps.TryParse(input, out _));
}
