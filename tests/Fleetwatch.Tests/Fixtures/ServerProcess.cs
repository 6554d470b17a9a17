using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fleetwatch.Tests.Fixtures;

/// <summary>The built executable as its own process (to stop with a signal, kill, or read its output), as a user runs it.</summary>
public static class ServerProcess
{
    public static Process Start(string workingDirectory, string arguments, string? apiKey = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{typeof(Fleetwatch.Hosting.FleetwatchApp).Assembly.Location}\" {arguments}")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment.Remove("API_KEY");
        info.Environment.Remove("FLEETWATCH_DB");
        if (apiKey is not null) info.Environment["API_KEY"] = apiKey;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        return Process.Start(info)!;
    }

    /// <summary>Started with its output read as it comes (into <paramref name="output"/>), so a chatty server never blocks on a full pipe.</summary>
    public static Process StartDrained(string workingDirectory, string arguments, string? apiKey, out System.Text.StringBuilder output,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var server = Start(workingDirectory, arguments, apiKey, environment);
        var collected = new System.Text.StringBuilder();
        void Collect(object _, DataReceivedEventArgs e)
        {
            lock (collected) collected.AppendLine(e.Data);
        }
        server.OutputDataReceived += Collect;
        server.ErrorDataReceived += Collect;
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        output = collected;
        return server;
    }

    /// <summary>Waits for /health; a drained server's <paramref name="output"/> goes into the failure.</summary>
    public static async Task WaitUntilUpAsync(HttpClient client, Process server, System.Text.StringBuilder output)
    {
        for (var i = 0; i < 300; i++)
        {
            if (server.HasExited) throw new Xunit.Sdk.XunitException($"The server exited with {server.ExitCode}: {output}");
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        server.Kill(entireProcessTree: true);
        throw new Xunit.Sdk.XunitException($"The server did not come up in 30 s: {output}");
    }

    public static async Task WaitUntilUpAsync(HttpClient client)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException("The server did not come up");
    }

    /// <summary>Starts the server in <paramref name="workingDirectory"/>, waits until it answers, stops it, and returns all it logged.</summary>
    public static async Task<string> StartAndStopAsync(string workingDirectory, string arguments, string apiKey)
    {
        var port = FreePort();
        using var server = StartDrained(workingDirectory, $"--urls http://127.0.0.1:{port} {arguments}", apiKey, out var output);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await WaitUntilUpAsync(client, server, output);
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync();
        lock (output) return output.ToString();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
