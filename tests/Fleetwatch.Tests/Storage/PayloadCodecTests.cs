using Fleetwatch.Model;
using Fleetwatch.Storage;

namespace Fleetwatch.Tests.Storage;

public sealed class PayloadCodecTests
{
    private static readonly string[] Names = ["battery_level", "rssi", "online", "temperature", "label", "raw", "gone", "big"];

    [Fact]
    public void RoundTripsEveryKindOfValue()
    {
        Field[] fields =
        [
            new("battery_level", FieldValue.Of(90)),
            new("rssi", FieldValue.Of(-50)),
            new("online", FieldValue.Of(true)),
            new("temperature", FieldValue.Of(-12.25)),
            new("label", new FieldValue(ValueTag.Text, Text: "héllo")),
            new("raw", new FieldValue(ValueTag.Json, Text: """{"a":[1,2]}""")),
            new("gone", new FieldValue(ValueTag.Null)),
            new("big", FieldValue.Of(long.MinValue)),
        ];
        var payload = PayloadCodec.Encode(fields, name => Array.IndexOf(Names, name) + 1);
        Assert.Equal(fields, PayloadCodec.Decode(payload, id => Names[id - 1]));
    }

    [Fact]
    public void AStatusCostsNineBytes()
    {
        Field[] status = [new("battery_level", FieldValue.Of(90)), new("rssi", FieldValue.Of(-50)), new("online", FieldValue.Of(false))];
        Assert.Equal(9, PayloadCodec.Encode(status, name => Array.IndexOf(Names, name) + 1).Length);
        Assert.Empty(PayloadCodec.Encode([], _ => 1));
    }
}
