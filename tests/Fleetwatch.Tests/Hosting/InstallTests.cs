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
