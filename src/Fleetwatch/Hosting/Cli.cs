using Fleetwatch.Auth;
using Fleetwatch.Fleet;
using Fleetwatch.Simulator;

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
          fleetwatch keys create --role admin|ingest|read [--project NAME|ID] [--org NAME] [--name TEXT] [--server]
          fleetwatch keys list
          fleetwatch keys revoke PREFIX
          fleetwatch version

        DB is a SQLite file (default fleetwatch.db) or a PostgreSQL connection string ("Host=…;Database=…"
        or postgres://user:pass@host/db); FLEETWATCH_DB sets it too. API_KEY in the environment is accepted
        as a server administrator key. Any ASP.NET Core setting may follow as --Section:Key=value.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "serve";
        var rest = command == "serve" && (args.Length == 0 || args[0].StartsWith('-')) ? args : args[1..];
        switch (command)
        {
            case "serve":
                if (rest.Contains("--help") || rest.Contains("-h")) break;
                try
                {
                    var app = await FleetwatchApp.BuildAsync(rest);
                    await app.RunAsync();
                    return 0;
                }
                catch (DevicesCsvException e)
                {
                    await Console.Error.WriteLineAsync($"fleetwatch: {e.Message}");
                    return 1;
                }
            case "import":
                return await ImportCommand.RunAsync(rest);
            case "simulate":
                return await SimulateCommand.RunAsync(rest);
            case "keys":
                return await KeysCommand.RunAsync(rest);
            case "version":
                Console.WriteLine(HealthApi.Version);
                return 0;
            case "help":
                break;
            default:
                await Console.Error.WriteLineAsync($"Unknown command '{command}'.");
                await Console.Error.WriteLineAsync(Usage);
                return 2;
        }
        Console.WriteLine(Usage);
        return 0;
    }

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
