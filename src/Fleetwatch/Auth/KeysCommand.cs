using System.Globalization;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Storage;

namespace Fleetwatch.Auth;

/// <summary><c>fleetwatch keys create|list|revoke</c>: key management straight against the database.</summary>
public static class KeysCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var (database, _) = await StorageSetup.OpenForCommandAsync(args);
        await using var owned = database;
        var keys = (IApiKeyStore)database;

        switch (args.FirstOrDefault())
        {
            case "create":
                return await CreateAsync(args, database, keys);
            case "list":
                string[][] rows =
                [
                    ["PREFIX", "ROLE", "PROJECT", "CREATED", "LAST USED", "REVOKED", "NAME"],
                    .. (await keys.ListKeysAsync(null, CancellationToken.None)).Select(k => new[]
                    {
                        k.Prefix, ApiKeys.RoleName(k.Role), k.ProjectId?.ToString(CultureInfo.InvariantCulture) ?? "server",
                        Time(k.CreatedMicros), Time(k.LastUsedMicros), Time(k.RevokedMicros), k.Name ?? "",
                    }),
                ];
                // Columns as wide as their widest cell, so they align whatever the times and names.
                var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
                foreach (var row in rows) Console.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
                return 0;
            case "revoke" when args.Length > 1:
                if (await keys.RevokeKeyAsync(args[1], CancellationToken.None))
                {
                    // Servers on PostgreSQL hear of it at once; a SQLite server within its key cache time.
                    if (keys is IChangeTransport transport) await transport.SendAsync(ChangeBus.KeyTopic, args[1], CancellationToken.None);
                    Console.WriteLine($"Revoked {args[1]}. Running servers stop accepting it at once on PostgreSQL, within Auth:CacheSeconds (5 s by default) on SQLite.");
                    return 0;
                }
                await Console.Error.WriteLineAsync($"No active key with prefix {args[1]}.");
                return 1;
            default:
                await Console.Error.WriteLineAsync("Usage: fleetwatch keys create --role admin|ingest|read [--project NAME|ID] [--org NAME] [--name TEXT] [--server] | list | revoke PREFIX");
                return 2;
        }
    }

    private static async Task<int> CreateAsync(string[] args, IDatabase database, IApiKeyStore keys)
    {
        if (!ApiKeys.TryParseRole(Cli.Option(args, "--role"), out var role))
        {
            await Console.Error.WriteLineAsync("--role must be admin, ingest or read");
            return 2;
        }
        long? projectId = null;
        if (!args.Contains("--server"))
        {
            var project = Cli.Option(args, "--project") ?? "default";
            projectId = long.TryParse(project, out _)
                ? await database.FindProjectAsync(project, CancellationToken.None)
                : await database.EnsureProjectAsync(Cli.Option(args, "--org") ?? "default", project, CancellationToken.None);
            if (projectId is null)
            {
                await Console.Error.WriteLineAsync($"No project with id {project}.");
                return 1;
            }
        }
        else if (role != KeyRole.Admin)
        {
            await Console.Error.WriteLineAsync("--server keys are administrator keys: use --role admin");
            return 2;
        }
        var key = ApiKeys.Generate(projectId, role, Cli.Option(args, "--name"));
        await keys.InsertKeyAsync(key, CancellationToken.None);
        Console.WriteLine(key.Plaintext);
        await Console.Error.WriteLineAsync($"Created {(role == KeyRole.Ingest || role == KeyRole.Admin ? "an" : "a")} {ApiKeys.RoleName(role)} key for {(projectId is null ? "the whole server" : $"project {projectId}")}; it is shown only this once.");
        return 0;
    }

    private static string Time(long? micros) => micros is { } m ? Timestamps.Format(m) : "-";
}
