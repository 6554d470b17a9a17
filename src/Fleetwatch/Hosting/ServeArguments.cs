namespace Fleetwatch.Hosting;

/// <summary>
/// What <c>fleetwatch serve</c> accepts: its own options and any setting as <c>--Section:Key value</c>. Anything else
/// is refused before the server touches anything, with the nearest option when one is close ("did you mean --db?"),
/// rather than silently ignored as the host's configuration binding would.
/// </summary>
public static class ServeArguments
{
    /// <summary>The options of <c>serve</c>, and the host's own top-level settings a user may pass.</summary>
    private static readonly string[] Known =
        ["--db", "--urls", "--devices", "--log-format", "--API_KEY", "--DEVICE_API_KEYS", "--environment", "--contentRoot", "--http_ports", "--https_ports"];

    /// <summary>Why the arguments are wrong, or null when they are fine.</summary>
    public static string? Check(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal))
                return $"unexpected argument '{argument}' (options start with --; settings are --Section:Key value)";
            var name = argument.Split('=', 2)[0];
            if (name.Contains(':') || Known.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                if (argument.Contains('=')) continue;
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)) return $"{name} needs a value";
                i++;
                continue;
            }
            return $"unknown option {name}" + (Suggest(name) is { } suggestion ? $" (did you mean {suggestion}?)" : "");
        }
        return null;
    }

    private static string? Suggest(string name)
    {
        if (name.Equals("--port", StringComparison.OrdinalIgnoreCase)) return "--urls http://127.0.0.1:PORT";
        if (name.Equals("--database", StringComparison.OrdinalIgnoreCase)) return "--db";
        var (best, distance) = Known.Select(k => (k, Distance(k.ToLowerInvariant(), name.ToLowerInvariant()))).MinBy(c => c.Item2);
        return distance <= Math.Max(1, best.Length / 3) ? best : null;
    }

    /// <summary>Edit distance: insertions, deletions and substitutions.</summary>
    internal static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
