using Fleetwatch.Hosting;
using Fleetwatch.Storage;

namespace Fleetwatch.Fleet;

/// <summary><c>fleetwatch import devices.csv [--project NAME|ID]</c>: registers devices straight in the database.</summary>
public static class ImportCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var path = args.FirstOrDefault(a => !a.StartsWith('-'));
        if (path is null)
        {
            await Console.Error.WriteLineAsync("Usage: fleetwatch import devices.csv [--project NAME|ID] [--db DB]");
            return 2;
        }
        var (database, outcome) = await StorageSetup.OpenForCommandAsync(args);
        await using var owned = database;

        var project = Cli.Option(args, "--project");
        var projectId = project is null ? outcome.DefaultProjectId : await database.FindProjectAsync(project, CancellationToken.None);
        if (projectId is null)
        {
            await Console.Error.WriteLineAsync($"No project {project}.");
            return 1;
        }
        try
        {
            var count = await FleetSetup.ImportAsync(path, projectId.Value, (Devices.IDeviceStore)database, null, CancellationToken.None);
            // A server running on the same database takes them in at once, not at its next start.
            await ((Devices.IDeviceStore)database).AnnounceDevicesChangedAsync(CancellationToken.None);
            Console.WriteLine($"{count} devices registered in project {projectId}.");
            return 0;
        }
        catch (DevicesCsvException e)
        {
            await Console.Error.WriteLineAsync($"fleetwatch: {e.Message}");
            return 1;
        }
    }
}
