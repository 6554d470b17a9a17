namespace Fleetwatch.Hosting;

/// <summary>
/// What each subcommand accepts — its options that take a value, its flags, how many plain arguments — checked before
/// the command touches anything. Anything else is refused with the nearest option when one is close ("did you mean
/// --db?"), rather than silently ignored as the host's configuration binding would. <c>serve</c> also takes any
/// setting as <c>--Section:Key value</c>.
/// </summary>
public static class Arguments
{
    public sealed record Command(string[] Valued, string[] Flags, int MaxPlain, bool Settings = false);

    public static readonly IReadOnlyDictionary<string, Command> Commands = new Dictionary<string, Command>
    {
        ["serve"] = new(["--db", "--urls", "--devices", "--log-format", "--API_KEY", "--DEVICE_API_KEYS", "--environment", "--contentRoot", "--http_ports", "--https_ports"],
            [], 0, Settings: true),
        ["import"] = new(["--project", "--db"], [], 1),
        ["simulate"] = new(["--devices", "--new-devices", "--url", "--key", "--minutes", "--concurrency", "--seed", "--results"], ["--force"], 0),
        // keys create | list | revoke PREFIX
        ["keys"] = new(["--role", "--project", "--org", "--name", "--db"], ["--server"], 2),
        ["export"] = new(["--project", "--device", "--format", "--from", "--to", "--kinds", "--output", "--url", "--key"], [], 0),
        ["import-history"] = new(["--project", "--format", "--device", "--url", "--key"], [], int.MaxValue),
        ["health"] = new(["--url"], [], 0),
        ["config"] = new([], ["--list", "--markdown"], 0),
        ["version"] = new([], [], 0),
    };

    /// <summary>The plain arguments (not options nor their values) of arguments that passed <see cref="Check"/>.</summary>
    public static List<string> Plain(string command, IReadOnlyList<string> args)
    {
        var accepts = Commands[command];
        var plain = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal)) plain.Add(argument);
            else if (!argument.Contains('=') && !accepts.Flags.Contains(argument, StringComparer.Ordinal)) i++;
        }
        return plain;
    }

    /// <summary>Why the arguments of <paramref name="command"/> are wrong, or null when they are fine.</summary>
    public static string? Check(string command, IReadOnlyList<string> args)
    {
        var accepts = Commands[command];
        var plain = 0;
        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal))
            {
                if (++plain > accepts.MaxPlain)
                    return $"unexpected argument '{argument}'" + (accepts.Settings ? " (options start with --; settings are --Section:Key value)" : "");
                continue;
            }
            var name = argument.Split('=', 2)[0];
            if (accepts.Flags.Contains(name, StringComparer.Ordinal)) continue;
            if (accepts.Valued.Contains(name, StringComparer.OrdinalIgnoreCase) || accepts.Settings && name.Contains(':'))
            {
                if (argument.Contains('=')) continue;
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)) return $"{name} needs a value";
                i++;
                continue;
            }
            return $"unknown option {name}" + (Suggest(name, [.. accepts.Valued, .. accepts.Flags]) is { } suggestion ? $" (did you mean {suggestion}?)" : "");
        }
        return null;
    }

    private static string? Suggest(string name, string[] known)
    {
        if (known.Contains("--urls") && name.Equals("--port", StringComparison.OrdinalIgnoreCase)) return "--urls http://127.0.0.1:PORT";
        if (known.Contains("--db") && name.Equals("--database", StringComparison.OrdinalIgnoreCase)) return "--db";
        if (known.Length == 0) return null;
        var (best, distance) = known.Select(k => (k, Distance(k.ToLowerInvariant(), name.ToLowerInvariant()))).MinBy(c => c.Item2);
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
