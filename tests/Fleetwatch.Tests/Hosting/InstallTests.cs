using System.Diagnostics;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Hosting;

/// <summary>
/// Installed like a product: <c>./build.sh</c> makes one self-contained executable, which runs <c>serve</c>, <c>keys</c>,
/// <c>simulate</c> and <c>health</c> on a machine whose PATH has no <c>dotnet</c>; the deploy files pass the checks
/// Debian and npm offer (systemd-analyze, dockerfilelint).
/// </summary>
public sealed class InstallTests : IDisposable
{
    private static readonly string Root = Repository.Root;
    private readonly string _directory = Directory.CreateTempSubdirectory("fleetwatch-install-").FullName;

    [Fact]
    public async Task TheSingleFileExecutable_ServesKeysAndSimulates_WithoutDotnetOnThePath()
    {
        var executable = await BuildAsync();
        var (code, output) = await RunAsync(executable, "version");
        Assert.Equal(0, code);
        Assert.Matches("^[0-9]+\\.[0-9]+\\.[0-9]+", output);

        (code, output) = await RunAsync(executable, "keys create --role read --db install.db");
        Assert.True(code == 0, output);
        Assert.Contains("Created a read key", output);

        (code, output) = await RunAsync(executable, "simulate --new-devices 3 --devices devices.csv");
        Assert.True(code == 0, output);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(_directory, "devices.csv")).Length);

        var port = ServerProcess.FreePort();
        using var server = Start(executable, $"serve --db install.db --devices devices.csv --urls http://127.0.0.1:{port}");
        var url = $"http://127.0.0.1:{port}";
        for (var i = 0; i < 100 && (await RunAsync(executable, $"health --url {url}")).Code != 0; i++) await Task.Delay(100);
        Assert.Equal(0, (await RunAsync(executable, $"health --url {url}")).Code);

        (code, output) = await RunAsync(executable, $"simulate --devices devices.csv --url {url} --minutes 3 --seed 7");
        Assert.True(code == 0, output);
        Assert.Contains("PASS", await File.ReadAllTextAsync(Path.Combine(_directory, "results.txt")));

        Process.Start("kill", $"-TERM {server.Id}").WaitForExit();
        await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, server.ExitCode);
        Assert.Equal(1, (await RunAsync(executable, $"health --url {url}")).Code);
    }

    [Fact]
    public async Task TheSystemdUnit_PassesSystemdAnalyzeVerify()
    {
        var executable = await BuildAsync();
        // verify wants the ExecStart program to exist: the unit as shipped, pointed at the executable just built.
        var unit = Path.Combine(_directory, "fleetwatch.service");
        await File.WriteAllTextAsync(unit, (await File.ReadAllTextAsync(Path.Combine(Root, "deploy/systemd/fleetwatch.service")))
            .Replace("/usr/local/bin/fleetwatch", executable, StringComparison.Ordinal));
        var (code, output) = await RunToolAsync("systemd-analyze", $"verify {unit}");
        Assert.True(code == 0 && output.Trim() == "", $"systemd-analyze verify: {output}");
    }

    /// <summary>
    /// The README's Install steps as far as a machine without systemd as PID 1 allows: the executable installed, then
    /// started the way the unit starts it (its ExecStart, WorkingDirectory, Environment and EnvironmentFile, with the
    /// directories systemd would make moved under the test's directory); the README's own command finds the admin key
    /// in the output, the key works, and the unit's stop signal ends it with exit 0 within its TimeoutStopSec.
    /// </summary>
    [Fact]
    public async Task TheInstallSection_StartsTheServerAsTheUnitDoes_AndItsCommandFindsTheAdminKey()
    {
        var executable = await BuildAsync();
        var installed = Path.Combine(Directory.CreateDirectory(Path.Combine(_directory, "usr/local/bin")).FullName, "fleetwatch");
        File.Copy(executable, installed);
        var unit = Unit.Read(Path.Combine(Root, "deploy/systemd/fleetwatch.service"));
        var port = ServerProcess.FreePort();
        string Moved(string text) => text
            .Replace("/usr/local/bin/fleetwatch", installed, StringComparison.Ordinal)
            .Replace("/var/", _directory + "/var/", StringComparison.Ordinal)
            .Replace("/etc/", _directory + "/etc/", StringComparison.Ordinal)
            .Replace("127.0.0.1:8000", $"127.0.0.1:{port}", StringComparison.Ordinal);
        foreach (var state in unit.All("StateDirectory").Concat(unit.All("CacheDirectory").Select(c => "../cache/" + c)))
        {
            Directory.CreateDirectory(Path.Combine(_directory, "var/lib", state));
        }
        Directory.CreateDirectory(Path.Combine(_directory, "etc"));
        const string OperatorKey = "install-section-operator-key-0123456789";
        await File.WriteAllTextAsync(Path.Combine(_directory, "etc/fleetwatch.env"), $"API_KEY={OperatorKey}\nFLEETWATCH_Ingest__QueueCapacity=20000\n");

        var start = Moved(unit.One("ExecStart")).Split(' ', 2);
        var info = new ProcessStartInfo(start[0], start[1]) { WorkingDirectory = Moved(unit.One("WorkingDirectory")), RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment.Clear();
        info.Environment["PATH"] = Directory.CreateDirectory(Path.Combine(_directory, "empty-path")).FullName;
        foreach (var assignment in unit.All("Environment").Concat(File.ReadAllLines(Moved(unit.One("EnvironmentFile").TrimStart('-')))))
        {
            var (name, value) = (assignment.Split('=', 2)[0], Moved(assignment.Split('=', 2)[1]));
            info.Environment[name] = value;
        }
        var output = new System.Text.StringBuilder();
        using var server = Process.Start(info)!;
        server.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        server.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        for (var i = 0; i < 100 && !await RespondsAsync(http); i++) await Task.Delay(100);
        Assert.True(await RespondsAsync(http), $"the server did not start as the unit starts it: {output}");

        // The README's command, as written, over what journald would have kept of the first start.
        var readmeLine = File.ReadLines(Path.Combine(Root, "README.md")).Single(l => l.StartsWith("journalctl -u fleetwatch |", StringComparison.Ordinal));
        var grep = readmeLine.Split('|', 2)[1].Split('#')[0].Trim();
        var shell = new ProcessStartInfo("bash", ["-c", grep]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using (var search = Process.Start(shell)!)
        {
            string text;
            lock (output) text = output.ToString();
            await search.StandardInput.WriteAsync(text);
            search.StandardInput.Close();
            var found = await search.StandardOutput.ReadToEndAsync();
            await search.WaitForExitAsync();
            var key = System.Text.RegularExpressions.Regex.Match(found, "[0-9a-f]{8}\\.[A-Za-z0-9_-]{20,}");
            Assert.True(key.Success, $"`{grep}` found no key in the first start's output: {found}\n{text}");
            foreach (var working in new[] { key.Value, OperatorKey })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/status/summary") { Headers = { { "X-API-Key", working } } };
                Assert.Equal(System.Net.HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
            }
        }
        Assert.True(File.Exists(Path.Combine(_directory, "var/lib/fleetwatch/fleetwatch.db")), "the data is not in the StateDirectory");

        Assert.Equal("SIGTERM", unit.One("KillSignal"));
        Process.Start("kill", $"-TERM {server.Id}").WaitForExit();
        await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(int.Parse(unit.One("TimeoutStopSec"), System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(0, server.ExitCode);
    }

    private static async Task<bool> RespondsAsync(HttpClient http)
    {
        try { return (await http.GetAsync("/health")).IsSuccessStatusCode; }
        catch (HttpRequestException) { return false; }
    }

    /// <summary>A systemd unit's [Service] settings, as systemd reads them (a setting may repeat).</summary>
    private sealed record Unit(ILookup<string, string> Settings)
    {
        public static Unit Read(string path) => new(File.ReadLines(path)
            .SkipWhile(l => l.Trim() != "[Service]").Skip(1).TakeWhile(l => !l.StartsWith('['))
            .Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#'))
            .ToLookup(l => l.Split('=', 2)[0].Trim(), l => l.Split('=', 2)[1].Trim()));

        public IEnumerable<string> All(string name) => Settings[name];

        public string One(string name) => Settings[name].Single();
    }

    [Fact]
    public async Task TheContainerFile_PassesDockerfilelint()
    {
        var linter = Environment.GetEnvironmentVariable("FLEETWATCH_DOCKERFILELINT") is { Length: > 0 } installed
            ? installed
            : throw new InvalidOperationException("FLEETWATCH_DOCKERFILELINT is not set: run the tests with ./test.sh, which installs dockerfilelint");
        var (code, output) = await RunToolAsync(linter, Path.Combine(Root, "deploy/container/Dockerfile"));
        Assert.True(code == 0, output);
        Assert.Contains("Issues: None found", output);
    }

    [Fact]
    public async Task TheNginxExample_PassesNginxTest()
    {
        // nginx -t opens the certificates the example names: a throwaway pair stands in for Let's Encrypt's.
        using var certificate = SelfSigned.Create("fleetwatch.example.com", out var key);
        using var ownedKey = key;
        var pem = Path.Combine(_directory, "fullchain.pem");
        var privateKey = Path.Combine(_directory, "privkey.pem");
        await File.WriteAllTextAsync(pem, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(privateKey, key.ExportPkcs8PrivateKeyPem());
        var site = (await File.ReadAllTextAsync(Path.Combine(Root, "deploy/nginx/fleetwatch.conf")))
            .Replace("/etc/letsencrypt/live/fleetwatch.example.com/fullchain.pem", pem, StringComparison.Ordinal)
            .Replace("/etc/letsencrypt/live/fleetwatch.example.com/privkey.pem", privateKey, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(_directory, "site.conf"), site);
        var main = Path.Combine(_directory, "nginx.conf");
        await File.WriteAllTextAsync(main, $"pid {_directory}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n  access_log off;\n  include {_directory}/site.conf;\n}}\n");
        var nginx = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        var (code, output) = await RunToolAsync(nginx, $"-t -q -c {main} -p {_directory}");
        Assert.True(code == 0, $"nginx -t: {output}");
    }

    /// <summary>Runs <c>./build.sh</c> once per test run: the executable is built from this checkout's sources.</summary>
    private static async Task<string> BuildAsync()
    {
        await Built.Value;
        return Path.Combine(Root, "dist", "fleetwatch");
    }

    private static readonly Lazy<Task> Built = new(async () =>
    {
        var (code, output) = await RunToolAsync(Path.Combine(Root, "build.sh"), "", Root, TimeSpan.FromMinutes(5));
        if (code != 0) throw new InvalidOperationException($"./build.sh failed: {output}");
    });

    /// <summary>The executable in the test's empty directory, with a PATH that holds no dotnet and no DOTNET_ variables.</summary>
    private Process Start(string executable, string arguments)
    {
        var info = new ProcessStartInfo(executable, arguments) { WorkingDirectory = _directory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment.Clear();
        info.Environment["PATH"] = Directory.CreateDirectory(Path.Combine(_directory, "empty-path")).FullName;
        info.Environment["HOME"] = _directory;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task<(int Code, string Output)> RunAsync(string executable, string arguments)
    {
        var info = new ProcessStartInfo(executable, arguments) { WorkingDirectory = _directory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment.Clear();
        info.Environment["PATH"] = Directory.CreateDirectory(Path.Combine(_directory, "empty-path")).FullName;
        info.Environment["HOME"] = _directory;
        return await RunProcessAsync(info, TimeSpan.FromMinutes(2));
    }

    private static Task<(int Code, string Output)> RunToolAsync(string tool, string arguments, string? directory = null, TimeSpan? timeout = null) =>
        RunProcessAsync(new ProcessStartInfo(tool, arguments) { WorkingDirectory = directory ?? Root, RedirectStandardOutput = true, RedirectStandardError = true },
            timeout ?? TimeSpan.FromMinutes(1));

    private static async Task<(int Code, string Output)> RunProcessAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout);
        return (process.ExitCode, await output + await error);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
