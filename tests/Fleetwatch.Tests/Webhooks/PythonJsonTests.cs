using System.Text;
using System.Text.Json;
using Fleetwatch.Webhooks;

namespace Fleetwatch.Tests.Webhooks;

/// <summary>Expected texts are what CPython 3.11 printed for the same values (repr and json.dumps).</summary>
public sealed class PythonJsonTests
{
    [Theory]
    [InlineData(30.0, "30.0")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(123.456, "123.456")]
    [InlineData(-2.5e-7, "-2.5e-07")]
    [InlineData(1.2345678901234567e20, "1.2345678901234567e+20")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(0.0, "0.0")]
    [InlineData(-40.0, "-40.0")]
    public void Float_IsPythonsRepr(double value, string expected) => Assert.Equal(expected, PythonJson.Float(value));

    [Fact]
    public void Strings_AreEscapedAsEnsureAsciiDoes_AndKeysSortedByCodePoint()
    {
        var source = """{"b":"Température > 30 <hot> & 'x' +1 \"q\" \\ 🔥\t/","a":[1,2.5,null,true],"\uE000":1,"😀":2}""";
        var output = new StringBuilder();
        PythonJson.Write(output, JsonDocument.Parse(source).RootElement);
        // json.dumps({...}, sort_keys=True, separators=(",", ":")): U+E000 sorts before U+1F600, unlike UTF-16 order.
        Assert.Equal("""{"a":[1,2.5,null,true],"b":"Temp\u00e9rature > 30 <hot> & 'x' +1 \"q\" \\ \ud83d\udd25\t/","\ue000":1,"\ud83d\ude00":2}""", output.ToString());
    }
}
