using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Hosting;

/// <summary>
/// Outside the happy path, as a new user meets it: every failure to start is one line on stderr and a documented exit
/// code (2 bad usage, 3 could not start), and nothing is created before the arguments and addresses are known good.
/// </summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fleetwatch-startup-").FullName;

    [Theory]
    [InlineData("--port 9000", "unknown option --port (did you mean --urls http://127.0.0.1:PORT?)")]
    [InlineData("--dbb x.db", "unknown option --dbb (did you mean --db?)")]
    [InlineData("serve stray", "unexpected argument 'stray'")]
    [InlineData("--urls", "--urls needs a value")]
    [InlineData("--urls 9000", "--urls: 9000 is not a URL like http://127.0.0.1:8000")]
    [InlineData("--db mysql://u@h/x", "--db: mysql://u@h/x was not understood (mysql:// is not a database Fleetwatch can use); use a SQLite file path")]
    [InlineData("--db Hots=localhost;Database=x", "--db: Hots=localhost;Database=x was not understood")]
    [InlineData("keys create --rol read", "fleetwatch keys: unknown option --rol (did you mean --role?)")]
    [InlineData("simulate --minuts 3", "fleetwatch simulate: unknown option --minuts (did you mean --minutes?)")]
    [InlineData("import a.csv b.csv", "fleetwatch import: unexpected argument 'b.csv'")]
    [InlineData("config --lst", "fleetwatch config: unknown option --lst (did you mean --list?)")]
    [InlineData("frobnicate", "fleetwatch: unknown command 'frobnicate'")]
    public async Task BadArguments_AreOneLine_ExitCode2_AndCreateNothing(string arguments, string expected)
    {
        var (code, stderr) = await RunAsync(arguments);
        Assert.Equal(2, code);
        Assert.Contains(expected, OneLine(stderr));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
    }

    [Fact]
    public async Task APortInUse_NamesThePortAndHowToChangeIt_BeforeCreatingTheDatabase()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, stderr) = await RunAsync($"--urls http://127.0.0.1:{port}");
        Assert.Equal(3, code);
        Assert.Equal($"fleetwatch: cannot listen on http://127.0.0.1:{port}: port {port} is in use by another program; choose another with --urls http://127.0.0.1:PORT",
            OneLine(stderr));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));

        var mqtt = await RunAsync($"--urls http://127.0.0.1:{ServerProcess.FreePort()} --Mqtt:Enabled true --Mqtt:Host 127.0.0.1 --Mqtt:Port {port}");
        Assert.Equal(3, mqtt.Code);
        Assert.Contains($"port {port} is in use by another program; choose another with --Mqtt:Port PORT", OneLine(mqtt.Stderr));
    }

    [Fact]
    public async Task ADirectoryItCannotWrite_IsNamedWithThePermissionItNeeds()
    {
        // /proc/self exists and refuses new files, even to root.
        var (code, stderr) = await RunAsync($"--db /proc/self/fleetwatch.db --urls http://127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(3, code);
        Assert.StartsWith("fleetwatch: cannot write in /proc/self (the database fleetwatch.db and its journal live there): this user needs write and execute permission",
            OneLine(stderr));
    }

    [Fact]
    public async Task AnUnreachablePostgres_IsRetriedWithBackoff_ThenOneLine()
    {
        var clock = Stopwatch.StartNew();
        var (code, stderr, stdout) = await RunWithOutputAsync(
            $"--db \"Host=127.0.0.1;Port={ServerProcess.FreePort()};Database=nowhere;Username=u\" --urls http://127.0.0.1:{ServerProcess.FreePort()} --Storage:ConnectRetrySeconds 4");
        Assert.Equal(3, code);
        Assert.Matches("^fleetwatch: cannot reach PostgreSQL 127\\.0\\.0\\.1:[0-9]+/nowhere after [0-9]+ attempts in [0-9]+ s .*--Storage:ConnectRetrySeconds$", OneLine(stderr));
        Assert.InRange(clock.Elapsed.TotalSeconds, 2, 30);
        Assert.True(stdout.Split('\n').Count(l => l.Contains("\"EventId\":2004", StringComparison.Ordinal)) >= 2, stdout);
    }

    [Fact]
    public async Task ASecondServerOnTheSameSqliteFile_RefusesAndNamesTheFirst()
    {
        var port = ServerProcess.FreePort();
        using var first = ServerProcess.StartDrained(_directory, $"--db shared.db --urls http://127.0.0.1:{port}", "startup-admin-key-0123456789", out var output);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await ServerProcess.WaitUntilUpAsync(client, first, output);
        try
        {
            var (code, stderr) = await RunAsync($"--db shared.db --urls http://127.0.0.1:{ServerProcess.FreePort()}");
            Assert.Equal(3, code);
            Assert.Equal($"fleetwatch: {Path.Combine(_directory, "shared.db")} is in use by another Fleetwatch server (process {first.Id}): a SQLite file serves one server; " +
                "stop that one, use another --db, or use PostgreSQL to run several nodes", OneLine(stderr));
        }
        finally
        {
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }
        // Killed, it holds nothing: the file serves the next server.
        var next = ServerProcess.FreePort();
        using var again = ServerProcess.StartDrained(_directory, $"--db shared.db --urls http://127.0.0.1:{next}", null, out var againOutput);
        using var againClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{next}") };
        await ServerProcess.WaitUntilUpAsync(againClient, again, againOutput);
        again.Kill(entireProcessTree: true);
        await again.WaitForExitAsync();
    }

    [Fact]
    public async Task AFirstStart_WritesNothingOutsideItsDatabase_AndWarnsOfNothing()
    {
        // ASP.NET's data protection, unused here, used to write a key under ~/.aspnet and warn that it was unencrypted.
        var home = Directory.CreateDirectory(Path.Combine(_directory, "home")).FullName;
        var port = ServerProcess.FreePort();
        using var server = ServerProcess.StartDrained(_directory, $"--db first.db --urls http://127.0.0.1:{port}", "startup-admin-key-0123456789", out var output,
            new Dictionary<string, string> { ["HOME"] = home });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await ServerProcess.WaitUntilUpAsync(client, server, output);
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/devices"))
        {
            request.Headers.Add("X-API-Key", "startup-admin-key-0123456789");
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
        }
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync();

        Assert.Empty(Directory.EnumerateFileSystemEntries(home));
        string log;
        lock (output) log = output.ToString();
        Assert.DoesNotContain("Warning", log);
        Assert.DoesNotContain("DataProtection", log);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("serve --help")]
    [InlineData("keys --help")]
    [InlineData("keys create --help")]
    [InlineData("import --help")]
    [InlineData("simulate --help")]
    [InlineData("config --help")]
    [InlineData("health --help")]
    public async Task Help_PrintsUsage_AndTouchesNothing(string arguments)
    {
        var (code, stderr, stdout) = await RunWithOutputAsync(arguments);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("fleetwatch", stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
    }

    /// <summary>The single line a failure prints: no stack trace, nothing else.</summary>
    private static string OneLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{stderr}");
        return lines[0];
    }

    private async Task<(int Code, string Stderr)> RunAsync(string arguments)
    {
        var (code, stderr, _) = await RunWithOutputAsync(arguments);
        return (code, stderr);
    }

    private async Task<(int Code, string Stderr, string Stdout)> RunWithOutputAsync(string arguments)
    {
        using var process = ServerProcess.Start(_directory, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"fleetwatch {arguments} did not exit: {await stdout}{await stderr}");
        }
        return (process.ExitCode, await stderr, await stdout);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
