using System.Diagnostics.CodeAnalysis;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Fleetwatch.Hosting;

/// <summary>
/// Every setting the server reads, with its command-line and environment names, its default and what it does: taken
/// from the options classes themselves (their properties, defaults and <see cref="DescriptionAttribute"/>s), so the
/// list cannot drift from the code. <c>fleetwatch config --list</c> prints it; <c>docs/configuration.md</c> is
/// <c>fleetwatch config --markdown</c>; settings files are checked against it at start.
/// </summary>
public static class SettingsReference
{
    public sealed record Setting(string Key, string Default, string Description)
    {
        public string Option => "--" + Key;
        public string Environment => Key.Contains(':') ? "FLEETWATCH_" + Key.Replace(":", "__", StringComparison.Ordinal) : Key switch
        {
            "API_KEY" or "DEVICE_API_KEYS" => Key,
            // Environment names cannot hold a '-': the same setting under its settings-file name.
            "log-format" => "FLEETWATCH_Logging__Format",
            _ => "FLEETWATCH_" + Key.ToUpperInvariant().Replace('-', '_'),
        };
    }

    private static readonly (string Section, Setting[] Settings)[] Sections =
    [
        Section<Auth.AuthOptions>("Auth"),
        Section<Ingest.IngestOptions>("Ingest"),
        Section<Status.StatusOptions>("Status"),
        Section<Fleet.FleetOptions>("Fleet"),
        Section<Connectivity.ConnectivityOptions>("Connectivity"),
        Section<Telemetry.RollupOptions>("Rollups"),
        Section<Retention.RetentionOptions>("Retention"),
        Section<Webhooks.WebhookOptions>("Webhooks"),
        Section<RateLimitOptions>("RateLimits"),
        Section<Mqtt.MqttOptions>("Mqtt"),
    ];

    /// <summary>Settings that are not an options class's: the command line's own, and a few read directly.</summary>
    private static readonly Setting[] TopLevel =
    [
        new("db", Storage.DatabaseTarget.DefaultSqliteFile, "Where the data lives: " + Storage.DatabaseTarget.AcceptedForms + "."),
        new("urls", FleetwatchApp.DefaultUrl, "The HTTP addresses to listen on, separated by ';' (http://0.0.0.0:8000 for every interface)."),
        new("devices", "", "A devices CSV file (the simulator's): its devices are registered in the default project, and the fleet API accepts their keyless requests."),
        new("log-format", "console at a terminal, else json", "console: one readable line per event; json: one JSON object per line, for log collectors."),
        new("API_KEY", "", "A literal key accepted as a server administrator key (as the original services' compose files set it)."),
        new("DEVICE_API_KEYS", "", "Comma-separated literal keys accepted as ingest keys of the default project (the telemetry backend's)."),
        new("Storage:ConnectRetrySeconds", "30", "How long a start waits for an unreachable PostgreSQL, retrying with backoff, before it exits with code 3."),
        new("Cors:AllowedOrigins:0", "", "Origins allowed to call the API from a browser (one per index: :0, :1, …); none: CORS is off."),
        new("Bench:NoopEndpoint", "false", "Benchmarks only: maps POST /bench/noop and GET /bench/heap."),
        new("Logging:LogLevel:Default", "Information", "The least severe log level written (Trace, Debug, Information, Warning, Error)."),
    ];

    public static IReadOnlyList<Setting> All { get; } = [.. TopLevel, .. Sections.SelectMany(s => s.Settings)];

    /// <summary>The sections whose keys a settings file is checked against (others — Logging, Kestrel — belong to the framework).</summary>
    public static IEnumerable<string> CheckedSections => Sections.Select(s => s.Section).Append("Storage");

    // Annotated so a trimmed (Native AOT) build keeps each options class's constructor and properties.
    private const DynamicallyAccessedMemberTypes Reflected = DynamicallyAccessedMemberTypes.PublicParameterlessConstructor | DynamicallyAccessedMemberTypes.PublicProperties;

    private static (string, Setting[]) Section<[DynamicallyAccessedMembers(Reflected)] T>(string section) => (section, [.. Of(section, typeof(T))]);

    private static IEnumerable<Setting> Of(string section, [DynamicallyAccessedMembers(Reflected)] Type options)
    {
        var defaults = Activator.CreateInstance(options);
        foreach (var property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var description = property.GetCustomAttribute<DescriptionAttribute>()?.Description
                ?? throw new InvalidOperationException($"{options.Name}.{property.Name} has no [Description]: every setting is documented");
            yield return new Setting($"{section}:{property.Name}", Format(property.GetValue(defaults)), description);
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// Keys of settings files (appsettings*.json) in the sections above that no setting has — a misspelt key is
    /// otherwise silently ignored — each with the file and the nearest known key.
    /// </summary>
    public static IEnumerable<(string File, string Key, string? Nearest)> UnknownKeys(IConfiguration configuration)
    {
        if (configuration is not IConfigurationRoot root) yield break;
        var known = All.Select(s => s.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in root.Providers.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationProvider>())
        {
            foreach (var section in CheckedSections)
            {
                foreach (var name in provider.GetChildKeys([], section).Distinct(StringComparer.OrdinalIgnoreCase))
                {
                    var key = $"{section}:{name}";
                    if (known.Contains(key)) continue;
                    var nearest = known.Where(k => k.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase))
                        .MinBy(k => Arguments.Distance(k.ToLowerInvariant(), key.ToLowerInvariant()));
                    yield return (provider.Source.Path ?? "a settings file", key, nearest);
                }
            }
        }
    }

    /// <summary>An aligned table for a terminal.</summary>
    public static string AsText()
    {
        var width = All.Max(s => s.Option.Length);
        var text = new StringBuilder();
        foreach (var setting in All)
        {
            text.Append(setting.Option.PadRight(width + 2)).Append("default ").Append(setting.Default.Length == 0 ? "(none)" : setting.Default).AppendLine();
            text.Append(' ', width + 2).Append(setting.Environment).AppendLine();
            text.Append(' ', width + 2).AppendLine(setting.Description);
        }
        return text.ToString();
    }

    /// <summary><c>docs/configuration.md</c>.</summary>
    public static string AsMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("# Configuration reference").AppendLine()
            .AppendLine("Generated by `fleetwatch config --markdown` from the settings classes; a test keeps this file equal to it.")
            .AppendLine()
            .AppendLine("Every setting can be given three ways, the later winning: in `appsettings.json` (or `appsettings.Production.json`) in the")
            .AppendLine("working directory as `{\"Section\": {\"Key\": value}}` (see `deploy/appsettings.example.json`); as an environment variable")
            .AppendLine("(`FLEETWATCH_Section__Key`); or on the command line (`--Section:Key value`). Unknown keys of these sections in a")
            .AppendLine("settings file are reported at start.")
            .AppendLine()
            .AppendLine("| option | environment | default | what it does |")
            .AppendLine("|---|---|---|---|");
        foreach (var setting in All)
            text.Append("| `").Append(setting.Option).Append("` | `").Append(setting.Environment).Append("` | ")
                .Append(setting.Default.Length == 0 ? "" : $"`{setting.Default}`").Append(" | ").Append(setting.Description.Replace("|", "\\|", StringComparison.Ordinal)).AppendLine(" |");
        return text.ToString();
    }
}
