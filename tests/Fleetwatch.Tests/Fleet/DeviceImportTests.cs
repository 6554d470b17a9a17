using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Fleet;

/// <summary>
/// <c>fleetwatch import devices.csv</c> beside a running server: the server knows the devices within a second or two
/// (PostgreSQL notifies it; on SQLite it watches a counter), not after its next start — on each engine.
/// </summary>
public abstract class DeviceImportTests(DatabaseBackend backend)
{
    [Fact]
    public async Task DevicesImportedBesideARunningServer_AreKnownToItAtOnce()
    {
        var database = await backend.CreateDatabaseAsync();
        await using var server = await TestServer.StartAsync(database);
        var directory = Directory.CreateTempSubdirectory("fleetwatch-device-import-").FullName;
        try
        {
            await File.WriteAllLinesAsync(Path.Combine(directory, "devices.csv"), ["device_id", "gate-1", "gate-2"]);
            using (var import = ServerProcess.Start(directory, $"import devices.csv --db \"{database}\""))
            {
                var output = await import.StandardOutput.ReadToEndAsync() + await import.StandardError.ReadToEndAsync();
                await import.WaitForExitAsync();
                Assert.True(import.ExitCode == 0, output);
            }
            var known = false;
            for (var waited = 0; waited < 5000 && !known; waited += 100)
            {
                var devices = await (await server.Client.GetAsync("/projects/1/devices", TestServer.AdminKey)).ReadJsonAsync();
                known = devices.EnumerateArray().Count(d => d.Str("external_id").StartsWith("gate-", StringComparison.Ordinal)) == 2;
                if (!known) await Task.Delay(100);
            }
            Assert.True(known, "the running server does not know the imported devices");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

public sealed class SqliteDeviceImportTests() : DeviceImportTests(new SqliteBackend());

public sealed class PostgresDeviceImportTests() : DeviceImportTests(new PostgresBackend());
