using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Fleetwatch.Fleet;
using Fleetwatch.Hosting;

namespace Fleetwatch.Simulator;

/// <summary>
/// <c>fleetwatch simulate</c>: plays the device simulator's part against any server with the fleet API. It
/// sends a period of heartbeats and upload stats for every device of a devices file, concurrently and as fast
/// as the server takes them, then reads each device's stats back, compares them with what it computed itself,
/// and writes <c>results.txt</c>. Exit code 0: every device matched; 1: some did not; 2: bad usage; 3: the
/// simulation could not run (server unreachable, device unknown, a request refused).
/// </summary>
public static class SimulateCommand
{
    public const int AllMatched = 0, SomeMismatched = 1, BadUsage = 2, CouldNotRun = 3;

    public const string Usage = """
          fleetwatch simulate --new-devices N [--devices devices.csv]   write N new device ids to a devices file
          fleetwatch simulate [--devices devices.csv] [--url http://127.0.0.1:6733] [--minutes 480]
                              [--concurrency 64] [--seed N] [--key KEY] [--results results.txt] [--force]
                                                  send a period of heartbeats and stats for every device,
                                                  then check each device's uptime and average upload time
        """;

    public static Task<int> RunAsync(string[] args) =>
        RunAsync(args, Console.Out, Console.Error, interactive: !Console.IsErrorRedirected, CancellationToken.None);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors, bool interactive, CancellationToken cancel)
    {
        var devicesPath = Cli.Option(args, "--devices") ?? "devices.csv";
        try
        {
            if (Cli.Option(args, "--new-devices") is { } count)
                return await WriteDevicesFileAsync(devicesPath, PositiveInt(count, "--new-devices", 1_000_000), args.Contains("--force"), output, errors);

            var settings = new SimulationSettings(
                new Uri(EnsureTrailingSlash(Cli.Option(args, "--url") ?? "http://127.0.0.1:6733")),
                Cli.Option(args, "--key") ?? Environment.GetEnvironmentVariable("FLEETWATCH_KEY"),
                new Behaviour(Minutes: PositiveInt(Cli.Option(args, "--minutes") ?? "480", "--minutes", 525_600)),
                PositiveInt(Cli.Option(args, "--concurrency") ?? "64", "--concurrency", 4096),
                Cli.Option(args, "--seed") is { } seed ? PositiveInt(seed, "--seed", int.MaxValue) : Random.Shared.Next(1, int.MaxValue),
                Cli.Option(args, "--results") ?? "results.txt",
                args.Contains("--force"));
            var devices = DevicesCsv.Read(devicesPath);
            return await new Simulation(settings, devices, output, errors, interactive).RunAsync(cancel);
        }
        catch (Exception e) when (e is UsageException or DevicesCsvException or UriFormatException)
        {
            await errors.WriteLineAsync($"fleetwatch simulate: {e.Message}");
            return BadUsage;
        }
        catch (Exception e) when (e is HttpRequestException or SimulationFailedException or TaskCanceledException)
        {
            await errors.WriteLineAsync($"fleetwatch simulate: {e.Message}");
            return CouldNotRun;
        }
    }

    private static async Task<int> WriteDevicesFileAsync(string path, int count, bool force, TextWriter output, TextWriter errors)
    {
        if (File.Exists(path) && !force)
        {
            await errors.WriteLineAsync($"fleetwatch simulate: {path} exists; pass --force to replace it");
            return BadUsage;
        }
        var text = new StringBuilder("device_id\n");
        // Ids shaped like the original's (MAC addresses), unique within the file.
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var mac = new byte[6];
        while (ids.Count < count)
        {
            Random.Shared.NextBytes(mac);
            var id = Convert.ToHexStringLower(mac).Chunk(2).Aggregate(new StringBuilder(17), (b, pair) => b.Append(b.Length > 0 ? "-" : "").Append(pair)).ToString();
            if (ids.Add(id)) text.Append(id).Append('\n');
        }
        await File.WriteAllTextAsync(path, text.ToString());
        await output.WriteLineAsync($"Wrote {count:N0} device ids to {Path.GetFullPath(path)}. Start the server with: fleetwatch serve --devices {path} --urls http://127.0.0.1:6733");
        return AllMatched;
    }

    private static int PositiveInt(string text, string option, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max
            ? value
            : throw new UsageException($"{option} must be a whole number from 1 to {max.ToString("N0", CultureInfo.InvariantCulture)}, not \"{text}\"");

    private static string EnsureTrailingSlash(string url) => url.EndsWith('/') ? url : url + "/";

    private sealed class UsageException(string message) : Exception(message);
}

public sealed record SimulationSettings(Uri Url, string? ApiKey, Behaviour Behaviour, int Concurrency, int Seed, string ResultsPath, bool Force);

/// <summary>One run of the simulator: plan, check the server is fresh, send, read back, report.</summary>
internal sealed class Simulation(SimulationSettings settings, IReadOnlyList<string> deviceIds, TextWriter output, TextWriter errors, bool interactive)
{
    public async Task<int> RunAsync(CancellationToken cancel)
    {
        using var client = new FleetClient(settings.Url, settings.ApiKey, settings.Concurrency);
        var plans = new DevicePlan[deviceIds.Count];
        Parallel.For(0, plans.Length, i => plans[i] = DevicePlan.Create(i, deviceIds[i], settings.Behaviour, settings.Seed));
        // Whole minutes ending now, so the data looks like a fleet's last hours.
        var now = DateTime.UtcNow;
        var periodStart = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc).AddMinutes(-settings.Behaviour.Minutes);

        await output.WriteLineAsync($"Simulating {plans.Length:N0} devices over {settings.Behaviour.Minutes:N0} minutes from {periodStart:u} against {settings.Url} (seed {settings.Seed}).");
        if (await CheckDevicesAreFreshAsync(client, plans, cancel) is { } problem)
        {
            await errors.WriteLineAsync($"fleetwatch simulate: {problem}");
            return SimulateCommand.CouldNotRun;
        }

        var deliveries = InDeliveryOrder(plans, settings.Behaviour);
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(errors, "sending ", deliveries.Length, interactive);
        await Parallel.ForEachAsync(deliveries, Limit(cancel), async (d, token) =>
        {
            await client.SendAsync(plans[d.Device].DeviceId, periodStart, d.SentAtNanoseconds, d.UploadNanoseconds, token);
            progress.Advance();
        });
        progress.Finish();
        var elapsed = clock.Elapsed.TotalSeconds;
        var heartbeats = plans.Sum(p => (long)p.Heartbeats);

        var verifying = new ProgressBar(errors, "checking", plans.Length, interactive);
        var results = new DeviceResult[plans.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, plans.Length), Limit(cancel), async (i, token) =>
        {
            results[i] = new DeviceResult(plans[i], await client.GetStatsAsync(plans[i].DeviceId, token));
            verifying.Advance();
        });
        verifying.Finish();

        var mismatched = results.Count(r => !r.Matches);
        var summary = mismatched == 0
            ? $"PASS: all {results.Length:N0} devices matched."
            : $"FAIL: {mismatched:N0} of {results.Length:N0} devices did not match (first: {results.First(r => !r.Matches).Plan.DeviceId}).";
        ResultsFile.Write(settings.ResultsPath, results, summary);

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Sent {deliveries.Length:N0} requests ({heartbeats:N0} heartbeats, {deliveries.Length - heartbeats:N0} stats) in {elapsed:F1} s: {deliveries.Length / Math.Max(elapsed, 1e-3):N0} requests/s with {settings.Concurrency} connections; {client.Retries:N0} retried after 503/429."));
        await output.WriteLineAsync($"{summary} Results in {Path.GetFullPath(settings.ResultsPath)}.");
        return mismatched == 0 ? SimulateCommand.AllMatched : SimulateCommand.SomeMismatched;
    }

    private ParallelOptions Limit(CancellationToken cancel) => new() { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = cancel };

    /// <summary>
    /// A second run against the same server would add to the first run's minutes and uploads, and every
    /// device would then mismatch: say so up front instead. Unknown devices are caught here too.
    /// </summary>
    private async Task<string?> CheckDevicesAreFreshAsync(FleetClient client, DevicePlan[] plans, CancellationToken cancel)
    {
        var answers = new HttpStatusCode[plans.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, plans.Length), Limit(cancel), async (i, token) =>
            answers[i] = (await client.GetStatsAsync(plans[i].DeviceId, token)).Status);

        var unknown = Enumerable.Range(0, plans.Length).Where(i => answers[i] == HttpStatusCode.NotFound).ToList();
        if (unknown.Count > 0)
            return $"{unknown.Count:N0} devices are not registered on the server (first: {plans[unknown[0]].DeviceId}); start it with --devices pointing at the same file";
        var other = Enumerable.Range(0, plans.Length).FirstOrDefault(i => answers[i] is not (HttpStatusCode.NoContent or HttpStatusCode.OK), -1);
        if (other >= 0)
            return $"GET stats of {plans[other].DeviceId} answered {(int)answers[other]}{(answers[other] == HttpStatusCode.Unauthorized ? " (pass --key, or start the server with --devices)" : "")}";
        var used = Enumerable.Range(0, plans.Length).Where(i => answers[i] == HttpStatusCode.OK).ToList();
        if (used.Count > 0 && !settings.Force)
            return $"{used.Count:N0} devices already have heartbeats or stats on this server (first: {plans[used[0]].DeviceId}), so their figures cannot match a new run; use a fresh server or a new devices file (--new-devices), or pass --force";
        return null;
    }

    /// <summary>Every device's requests, minute by minute across the fleet, as a fleet's traffic arrives.</summary>
    private static PlannedReport[] InDeliveryOrder(DevicePlan[] plans, Behaviour behaviour)
    {
        var slots = behaviour.Minutes + behaviour.LatestDeliveryMinutes + 1;
        var counts = new int[slots + 1];
        foreach (var plan in plans)
            foreach (var d in plan.Deliveries) counts[d.Slot + 1]++;
        for (var s = 1; s <= slots; s++) counts[s] += counts[s - 1];
        var ordered = new PlannedReport[counts[slots]];
        foreach (var plan in plans)
            foreach (var d in plan.Deliveries) ordered[counts[d.Slot]++] = d;
        return ordered;
    }
}
