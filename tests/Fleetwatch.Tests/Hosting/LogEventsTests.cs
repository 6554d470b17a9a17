using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Fleetwatch.Tests.Hosting;

/// <summary>Log event ids are a registry: one message per id, every id from <see cref="LogEvents"/> (as Garnet's UniqueRespCommandIds).</summary>
public sealed class LogEventsTests
{
    [Fact]
    public void EveryLogMessage_HasItsOwnEventId_FromTheRegistry()
    {
        var registry = typeof(LogEvents).GetFields(BindingFlags.Public | BindingFlags.Static).ToDictionary(f => f.Name, f => (int)f.GetValue(null)!);
        Assert.Equal(registry.Count, registry.Values.Distinct().Count());

        var messages = typeof(LogEvents).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.FullName}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();
        Assert.True(messages.Count >= 15, $"only {messages.Count} log messages found");
        var repeated = messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();
        Assert.True(repeated.Count == 0, "event ids used twice: " + string.Join("; ", repeated));
        var unregistered = messages.Where(m => !registry.ContainsValue(m.Attribute!.EventId)).Select(m => $"{m.Method} ({m.Attribute!.EventId})").ToList();
        Assert.True(unregistered.Count == 0, "event ids not in LogEvents: " + string.Join(", ", unregistered));
    }
}
