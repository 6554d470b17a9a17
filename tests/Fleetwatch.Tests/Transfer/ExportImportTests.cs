using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Fleetwatch.Telemetry;
using Fleetwatch.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetwatch.Tests.Transfer;

/// <summary>
/// History leaves in NDJSON, CSV and Parquet and comes back through the import as backfill: a round trip through
/// another server, in any of the three, gives the same bytes, a second import stores nothing, bad lines are reported, and imported history
/// is stored and rolled up without raising alerts, reaching live streams or making a device active — on each engine.
/// </summary>
public abstract partial class ExportImportTests(DatabaseBackend backend, ServerFixture fixture)
{
    protected TestServer Server => fixture.Server;
    protected HttpClient Client => fixture.Server.Client;

    private static string Ts(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");

    /// <summary>Two devices with statuses and free-form readings of every value type, some of them awkward in CSV.</summary>
    private async Task<Tenant> TenantWithHistoryAsync(DateTime start)
    {
        var tenant = await Tenant.CreateAsync(Server);
        await tenant.AddDeviceAsync(Server, "boiler,1");
        await tenant.AddDeviceAsync(Server, "kettle");
        var events = Enumerable.Range(0, 30).Select(i => new
        {
            ts = Ts(start.AddMinutes(i).AddTicks(i * 10)),
            data = new Dictionary<string, object?>
            {
                ["temperature"] = 20.5 + i, ["count"] = i, ["ok"] = i % 2 == 0, ["note"] = i == 3 ? "a \"quoted\", comma\nand a line" : "plain",
                ["shape"] = new { a = new[] { 1, 2 } }, ["nothing"] = null,
            },
        }).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostJsonAsync("/telemetry", new { device_external_id = "boiler,1", events }, tenant.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostJsonAsync("/telemetry", new { device_external_id = "kettle", events = events.Take(5) }, tenant.Key)).StatusCode);
        for (var i = 0; i < 3; i++)
        {
            var status = new { device_id = "kettle", timestamp = Ts(start.AddSeconds(90 + i)), battery_level = 50 - i, rssi = -60, online = true };
            Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/status", status, tenant.Key)).StatusCode);
        }
        return tenant;
    }

    private static async Task<byte[]> ExportAsync(TestServer server, Tenant tenant, string query)
    {
        var response = await server.Client.GetAsync($"/projects/{tenant.ProjectId}/export?{query}", tenant.Key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task<JsonElement> ImportAsync(TestServer server, Tenant tenant, string format, byte[] body, string query = "")
    {
        using var content = new ByteArrayContent(body);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/projects/{tenant.ProjectId}/import?format={format}{query}") { Content = content }.WithKey(tenant.Key);
        var response = await server.Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    [Fact]
    public async Task AnExport_ImportedIntoAnotherServer_ExportsTheSameBytes_AndImportingAgainStoresNothing()
    {
        var start = DateTime.UtcNow.AddDays(-3);
        var source = await TenantWithHistoryAsync(start);
        var ndjson = await ExportAsync(Server, source, "format=ndjson");
        var csv = await ExportAsync(Server, source, "format=csv");
        var lines = System.Text.Encoding.UTF8.GetString(ndjson).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(38, lines.Length); // 30 + 5 readings, 3 statuses
        // Ordered by device id, then time: "boiler,1" before "kettle", the kettle's statuses after its first reading.
        Assert.StartsWith("{\"device_id\":\"boiler,1\",\"ts\":\"", lines[0]);
        Assert.Contains("\"kind\":\"status\",\"payload\":{\"battery_level\":50,\"rssi\":-60,\"online\":true}", lines[32]);
        var csvText = System.Text.Encoding.UTF8.GetString(csv);
        Assert.StartsWith("device_id,ts,kind,metric,value\n\"boiler,1\",", csvText);
        Assert.Contains(",measurement,note,\"\"\"a \\\"\"quoted\\\"\", comma\\nand a line\"\"\"\n", csvText);
        Assert.Contains(",status,battery_level,50\n", csvText);

        await using var other = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), "--Auth:CacheSeconds", "0");
        var fromNdjson = await Tenant.CreateAsync(other);
        var report = await ImportAsync(other, fromNdjson, "ndjson", ndjson);
        Assert.Equal((38, 0, 0), (report.Long("imported"), report.Long("duplicates"), report.Long("rejected")));
        Assert.Equal(ndjson, await ExportAsync(other, fromNdjson, "format=ndjson"));
        Assert.Equal(csv, await ExportAsync(other, fromNdjson, "format=csv"));

        var fromCsv = await Tenant.CreateAsync(other);
        report = await ImportAsync(other, fromCsv, "csv", csv);
        Assert.Equal((38, 0, 0), (report.Long("imported"), report.Long("duplicates"), report.Long("rejected")));
        Assert.Equal(ndjson, await ExportAsync(other, fromCsv, "format=ndjson"));

        var fromParquet = await Tenant.CreateAsync(other);
        report = await ImportAsync(other, fromParquet, "parquet", await ExportAsync(Server, source, "format=parquet"));
        Assert.Equal((38, 0, 0), (report.Long("imported"), report.Long("duplicates"), report.Long("rejected")));
        Assert.Equal(ndjson, await ExportAsync(other, fromParquet, "format=ndjson"));

        // Again, in either format: every reading is already there.
        report = await ImportAsync(other, fromCsv, "ndjson", ndjson);
        Assert.Equal((0, 38), (report.Long("imported"), report.Long("duplicates")));
        report = await ImportAsync(other, fromCsv, "csv", csv);
        Assert.Equal((0, 38), (report.Long("imported"), report.Long("duplicates")));
        Assert.Equal(ndjson, await ExportAsync(other, fromCsv, "format=ndjson"));
    }

    [Fact]
    public async Task TheCommandLine_ExportsToAFileInTheCurrentDirectory_AndImportsItAgainHarmlessly()
    {
        var source = await TenantWithHistoryAsync(DateTime.UtcNow.AddDays(-4));
        var target = await Tenant.CreateAsync(Server);
        var directory = Directory.CreateTempSubdirectory("fleetwatch-transfer-").FullName;
        try
        {
            var url = Server.BaseAddress.ToString().TrimEnd('/');
            var (code, output) = await CliAsync(directory, $"export --project {source.ProjectId} --format csv --url {url} --key {source.Key}");
            Assert.True(code == 0, output);
            var file = Path.Combine(directory, $"project-{source.ProjectId}.csv");
            Assert.Contains($"into {file}", output);
            Assert.Equal(await ExportAsync(Server, source, "format=csv"), await File.ReadAllBytesAsync(file));

            (code, output) = await CliAsync(directory, $"import-history {file} --project {target.ProjectId} --url {url} --key {target.Key}");
            Assert.True(code == 0, output);
            Assert.Contains(": 38 imported, 0 already stored, 0 rejected", output);
            (code, output) = await CliAsync(directory, $"import-history {file} --project {target.ProjectId} --url {url} --key {target.Key}");
            Assert.Contains(": 0 imported, 38 already stored, 0 rejected", output);
            Assert.Equal(await ExportAsync(Server, source, "format=ndjson"), await ExportAsync(Server, target, "format=ndjson"));

            (code, output) = await CliAsync(directory, $"import-history {file} --project {target.ProjectId} --url {url} --key {source.Key}");
            Assert.Equal(1, code);
            Assert.Contains("fleetwatch import-history: " + file + ": 40", output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> CliAsync(string directory, string arguments)
    {
        using var process = ServerProcess.Start(directory, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, await output + await error);
    }

    [Fact]
    public async Task AnExport_IsBoundedByTimeAndKinds_AndADevicesExportHasOnlyThatDevice()
    {
        var start = DateTime.UtcNow.AddDays(-2);
        var tenant = await TenantWithHistoryAsync(start);
        var statuses = System.Text.Encoding.UTF8.GetString(await ExportAsync(Server, tenant, "format=ndjson&kinds=status"));
        Assert.Equal(3, statuses.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var window = System.Text.Encoding.UTF8.GetString(await ExportAsync(Server, tenant, $"format=ndjson&from={Ts(start.AddMinutes(10))}&to={Ts(start.AddMinutes(19).AddSeconds(1))}"));
        Assert.Equal(10, window.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var devices = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync();
        var kettle = devices.EnumerateArray().Single(d => d.Str("external_id") == "kettle").Long("id");
        var response = await Client.GetAsync($"/projects/{tenant.ProjectId}/devices/{kettle}/export?format=csv", tenant.Key);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment; filename=\"device-kettle.csv\"", response.Content.Headers.ContentDisposition!.ToString());
        var rows = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + 5 * 6 + 3 * 3, rows.Length);
        Assert.All(rows.Skip(1), r => Assert.StartsWith("kettle,", r));
    }

    [Fact]
    public async Task AParquetExport_IsReadByDuckDb_WithTypedColumns()
    {
        var start = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1230);
        var tenant = await TenantWithHistoryAsync(start);
        var parquet = await ExportAsync(Server, tenant, "format=parquet");
        var file = Path.Combine(Path.GetTempPath(), $"fleetwatch-export-{Guid.NewGuid():N}.parquet");
        await File.WriteAllBytesAsync(file, parquet);
        try
        {
            var rows = await DuckDbAsync($"""
                SELECT device_id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, typeof(ts) AS ts_type, kind, metric, value, text, type
                FROM read_parquet('{file}') ORDER BY device_id, ts, metric
                """);
            Assert.Equal(30 * 6 + 5 * 6 + 3 * 3, rows.Length);
            var first = rows.First(r => r.Str("device_id") == "boiler,1" && r.Str("metric") == "temperature");
            Assert.Equal("2026-01-02T03:04:05.000123Z", first.Str("ts"));
            Assert.Equal("TIMESTAMP WITH TIME ZONE", first.Str("ts_type"));
            Assert.Equal(20.5, first.GetProperty("value").GetDouble());
            Assert.Equal(JsonValueKind.Null, first.GetProperty("text").ValueKind);
            var note = rows.First(r => r.Str("metric") == "note" && r.Str("text") != "plain");
            Assert.Equal("a \"quoted\", comma\nand a line", note.Str("text"));
            Assert.Equal(("true", "bool"), (rows.First(r => r.Str("metric") == "ok").Str("text"), rows.First(r => r.Str("metric") == "ok").Str("type")));
            Assert.Equal("int", rows.First(r => r.Str("metric") == "count").Str("type"));
            Assert.Equal("{\"a\":[1,2]}", rows.First(r => r.Str("metric") == "shape").Str("text"));
            Assert.Equal(50, rows.Single(r => r.Str("kind") == "status" && r.Str("metric") == "battery_level" && r.GetProperty("value").GetDouble() == 50).GetProperty("value").GetDouble());
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs one query in DuckDB (its Node.js API, installed by test.sh) and returns the rows.</summary>
    private static async Task<JsonElement[]> DuckDbAsync(string sql)
    {
        var module = Environment.GetEnvironmentVariable("FLEETWATCH_DUCKDB") is { Length: > 0 } installed
            ? installed
            : throw new InvalidOperationException("FLEETWATCH_DUCKDB is not set: run the tests with ./test.sh, which installs DuckDB for Node.js");
        var script = $$"""
            const { DuckDBInstance } = require({{JsonSerializer.Serialize(module)}});
            (async () => {
              const connection = await (await DuckDBInstance.create(':memory:')).connect();
              const result = await connection.runAndReadAll({{JsonSerializer.Serialize(sql)}});
              process.stdout.write(JSON.stringify(result.getRowObjectsJson()));
            })().catch(e => { console.error(String(e)); process.exit(1); });
            """;
        var info = new ProcessStartInfo("node", ["-e", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var node = Process.Start(info)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var error = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(node.ExitCode == 0, await error);
        return [.. JsonDocument.Parse(await output).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    [Fact]
    public async Task BadExportParametersAndTheWrongKeys_AreRefused()
    {
        var tenant = await Tenant.CreateAsync(Server);
        foreach (var (query, field) in new[] { ("format=xml", "format"), ("kinds=status,weather", "kinds"), ("from=soon", "from"), ("from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "to") })
        {
            var problem = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/export?{query}", tenant.Key)).ProblemAsync(422);
            Assert.Equal(field, problem.GetProperty("errors").EnumerateObject().Single().Name);
        }
        Assert.Equal("format", (await (await Client.PostRawAsync($"/projects/{tenant.ProjectId}/import?format=xml", "", tenant.Key)).ProblemAsync(422))
            .GetProperty("errors").EnumerateObject().Single().Name);
        var read = await Server.NewKeyAsync(tenant.ProjectId, Fleetwatch.Auth.KeyRole.Read);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/projects/{tenant.ProjectId}/export", read)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client.PostRawAsync($"/projects/{tenant.ProjectId}/import?format=ndjson", "", read)).StatusCode);
        var other = await Tenant.CreateAsync(Server);
        Assert.Contains((await Client.GetAsync($"/projects/{tenant.ProjectId}/export", other.Key)).StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
    }

}

public sealed class SqliteExportImportFixture() : ServerFixture(new SqliteBackend())
{
    protected override string[] Settings => ["--Auth:CacheSeconds", "0", "--Rollups:IntervalMs", "100"];
}

public sealed class PostgresExportImportFixture() : ServerFixture(new PostgresBackend())
{
    protected override string[] Settings => ["--Auth:CacheSeconds", "0", "--Rollups:IntervalMs", "100"];
}

public sealed class SqliteExportImportTests(SqliteExportImportFixture fixture)
    : ExportImportTests(new SqliteBackend(), fixture), IClassFixture<SqliteExportImportFixture>;

public sealed class PostgresExportImportTests(PostgresExportImportFixture fixture)
    : ExportImportTests(new PostgresBackend(), fixture), IClassFixture<PostgresExportImportFixture>;
