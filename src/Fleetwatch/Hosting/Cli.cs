using Fleetwatch.Auth;
using Fleetwatch.Fleet;
using Fleetwatch.Simulator;
using Fleetwatch.Transfer;

namespace Fleetwatch.Hosting;

/// <summary>One executable, several subcommands; <c>serve</c> is the default.</summary>
public static class Cli
{
    private static readonly string Usage = $"""
        fleetwatch — IoT device telemetry and fleet monitoring server

        Usage:
          fleetwatch [serve] [--db DB] [--urls URLS] [--devices devices.csv]
                                                  run the server (default http://127.0.0.1:8000); a devices
                                                  file registers the simulator's devices and accepts its
                                                  keyless fleet requests
          fleetwatch import devices.csv [--project NAME|ID]   register devices from a file (again is harmless)
        {SimulateCommand.Usage}
        {TransferCommands.Usage}
          fleetwatch keys create --role admin|ingest|read [--project NAME|ID] [--org NAME] [--name TEXT] [--server]
          fleetwatch keys list
          fleetwatch keys revoke PREFIX
          fleetwatch config [--list | --markdown]         every setting: option, environment name, default, what it does
          fleetwatch health [--url http://127.0.0.1:8000]   exit 0 when the server answers /health (for health checks)
          fleetwatch version

        DB is a SQLite file (default fleetwatch.db) or a PostgreSQL connection string ("Host=…;Database=…"
        or postgres://user:pass@host/db); FLEETWATCH_DB sets it too. API_KEY in the environment is accepted
        as a server administrator key. Any ASP.NET Core setting may follow as --Section:Key=value.
        """;

    /// <summary>
    /// Exit codes: 0 done, 1 failed while running, 2 bad usage (an unknown option, a --db or --urls not understood),
    /// 3 could not start (a port in use, a database unreachable or not writable, a SQLite file another server holds).
    /// A failure is one line on stderr, never a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "serve";
        var rest = command == "serve" && (args.Length == 0 || args[0].StartsWith('-')) ? args : args[1..];
        // Help touches nothing: no database is opened or created for it.
        var help = rest.Contains("--help") || rest.Contains("-h");
        if (!help && Arguments.Commands.ContainsKey(command) && Arguments.Check(command, rest) is { } problem)
        {
            await Console.Error.WriteLineAsync($"fleetwatch {command}: {problem}. See fleetwatch {(command == "serve" ? "" : command + " ")}--help.");
            return StartupFailure.BadUsage;
        }
        try
        {
            switch (command)
            {
                case "config" or "health" or "version" when help:
                    break;
                case "serve":
                    if (help) break;
                    var app = await FleetwatchApp.BuildAsync(rest);
                    await app.RunAsync();
                    return 0;
                case "import" when help:
                    Console.WriteLine(ImportUsage);
                    return 0;
                case "import":
                    return await ImportCommand.RunAsync(rest);
                case "export" or "import-history" when help:
                    Console.WriteLine(TransferCommands.Usage);
                    return 0;
                case "export":
                    return await TransferCommands.ExportAsync(rest);
                case "import-history":
                    return await TransferCommands.ImportHistoryAsync(rest);
                case "simulate" when help:
                    Console.WriteLine(SimulateCommand.Usage);
                    return 0;
                case "simulate":
                    return await SimulateCommand.RunAsync(rest);
                case "keys" when help:
                    Console.WriteLine(KeysUsage);
                    return 0;
                case "keys":
                    return await KeysCommand.RunAsync(rest);
                case "version":
                    Console.WriteLine(HealthApi.Version);
                    return 0;
                case "config" when rest.Contains("--markdown"):
                    Console.Write(SettingsReference.AsMarkdown());
                    return 0;
                case "config" when rest.Contains("--list") || rest.Length == 0:
                    Console.Write(SettingsReference.AsText());
                    return 0;
                case "config":
                    await Console.Error.WriteLineAsync("fleetwatch config: use --list (a table) or --markdown (docs/configuration.md)");
                    return StartupFailure.BadUsage;
                case "health":
                    return await HealthCheckAsync(Option(rest, "--url") ?? FleetwatchApp.DefaultUrl);
                case "help":
                    break;
                default:
                    await Console.Error.WriteLineAsync($"fleetwatch: unknown command '{command}'. See fleetwatch --help.");
                    return StartupFailure.BadUsage;
            }
        }
        catch (StartupFailure e)
        {
            await Console.Error.WriteLineAsync($"fleetwatch: {e.Message}");
            return e.ExitCode;
        }
        catch (DevicesCsvException e)
        {
            await Console.Error.WriteLineAsync($"fleetwatch: {e.Message}");
            return 1;
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // A port taken between the check and Kestrel's bind.
            await Console.Error.WriteLineAsync($"fleetwatch: cannot listen: {e.Message}");
            return StartupFailure.CannotStart;
        }
        Console.WriteLine(Usage);
        return 0;
    }

    /// <summary><c>fleetwatch health [--url URL]</c>: 0 when the server at URL answers <c>/health</c> with 200 (a container's health check, which has no curl).</summary>
    private static async Task<int> HealthCheckAsync(string url)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var response = await client.GetAsync(new Uri(new Uri(url), "/health"));
            Console.WriteLine($"{url}/health: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            await Console.Error.WriteLineAsync($"fleetwatch: {url}/health: {e.Message}");
            return 1;
        }
    }

    private const string ImportUsage = "  fleetwatch import devices.csv [--project NAME|ID] [--db DB]   register devices from a file (again is harmless)";

    private const string KeysUsage = """
          fleetwatch keys create --role admin|ingest|read [--project NAME|ID] [--org NAME] [--name TEXT] [--server] [--db DB]
          fleetwatch keys list [--db DB]
          fleetwatch keys revoke PREFIX [--db DB]
        """;

    /// <summary>The value after <paramref name="name"/> (<c>--name value</c> or <c>--name=value</c>), if given.</summary>
    public static string? Option(string[] args, string name)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == name && i + 1 < args.Length) return args[i + 1];
            if (args[i].StartsWith(name + "=", StringComparison.Ordinal)) return args[i][(name.Length + 1)..];
        }
        return null;
    }
}
