using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Fleetwatch.Hosting;

namespace Fleetwatch.Transfer;

/// <summary>
/// <c>fleetwatch export</c> and <c>fleetwatch import-history</c>: the export and import APIs from the command line, against
/// a running server (so the one writer, the rollups and every node see the data as they see any write), with progress
/// on stderr.
/// </summary>
public static class TransferCommands
{
    public const string Usage = """
          fleetwatch export --project ID [--device ID] [--format ndjson|csv|parquet] [--from TIME] [--to TIME] [--kinds LIST]
                            [--output FILE|-] [--url URL] [--key KEY]
                                                  a project's or a device's history into FILE (default project-ID.FORMAT)
          fleetwatch import-history FILE… --project ID [--format ndjson|csv|parquet|thingsboard] [--device EXTERNAL_ID] [--url URL] [--key KEY]
                                                  history back in (.ndjson, .csv, .parquet, or ThingsBoard .json for one --device);
                                                  what is already stored is skipped, so running it again is harmless
          URL defaults to http://127.0.0.1:8000, KEY to $API_KEY: a read key exports, an admin key imports.
        """;

    public static async Task<int> ExportAsync(string[] args)
    {
        var project = Cli.Option(args, "--project");
        if (project is null || !long.TryParse(project, CultureInfo.InvariantCulture, out _))
            return await FailAsync("export", "--project ID is required (the project's number)", StartupFailure.BadUsage);
        var format = Cli.Option(args, "--format") ?? "ndjson";
        if (!ExportFormats.TryParse(format, out var parsed)) return await FailAsync("export", $"--format must be {ExportFormats.Accepted}", StartupFailure.BadUsage);
        var device = Cli.Option(args, "--device");
        var query = string.Join('&', new[] { ("format", format), ("from", Cli.Option(args, "--from")), ("to", Cli.Option(args, "--to")), ("kinds", Cli.Option(args, "--kinds")) }
            .Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
        var path = device is null ? $"/projects/{project}/export?{query}" : $"/projects/{project}/devices/{Uri.EscapeDataString(device)}/export?{query}";
        var output = Cli.Option(args, "--output") ?? Path.GetFullPath(device is null ? $"project-{project}.{parsed.Extension()}" : $"device-{device}.{parsed.Extension()}");

        using var client = Client(args);
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode) return await FailAsync("export", await ProblemAsync(response), 1);
        await using var body = await response.Content.ReadAsStreamAsync();
        await using var file = output == "-" ? Console.OpenStandardOutput() : File.Create(output);
        var progress = new Progress("exported", total: null);
        var buffer = new byte[256 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            await file.WriteAsync(buffer.AsMemory(0, read));
            progress.Add(read);
        }
        progress.Done(output == "-" ? "" : $" into {output}");
        return 0;
    }

    public static async Task<int> ImportHistoryAsync(string[] args)
    {
        var files = Arguments.Plain("import-history", args);
        var project = Cli.Option(args, "--project");
        if (files.Count == 0) return await FailAsync("import-history", "name at least one file", StartupFailure.BadUsage);
        if (project is null || !long.TryParse(project, CultureInfo.InvariantCulture, out _))
            return await FailAsync("import-history", "--project ID is required (the project's number)", StartupFailure.BadUsage);
        using var client = Client(args);
        var failed = 0;
        foreach (var path in files)
        {
            if (!File.Exists(path)) return await FailAsync("import-history", $"{path}: no such file", 1);
            var format = Cli.Option(args, "--format") ?? Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".csv" => "csv",
                ".parquet" => "parquet",
                ".json" => "thingsboard",
                _ => "ndjson",
            };
            var device = Cli.Option(args, "--device");
            var url = $"/projects/{project}/import?format={format}" + (device is null ? "" : $"&device_id={Uri.EscapeDataString(device)}");
            await using var file = File.OpenRead(path);
            var progress = new Progress(Path.GetFileName(path), file.Length);
            using var content = new StreamContent(new CountingStream(file, progress.Add), 256 * 1024);
            content.Headers.ContentType = new MediaTypeHeaderValue(format switch
            {
                "csv" => "text/csv",
                "parquet" => "application/vnd.apache.parquet",
                "thingsboard" => "application/json",
                _ => "application/x-ndjson",
            });
            using var response = await client.PostAsync(url, content);
            if (!response.IsSuccessStatusCode)
            {
                progress.Done("");
                await Console.Error.WriteLineAsync($"fleetwatch import-history: {path}: {await ProblemAsync(response)}");
                failed++;
                continue;
            }
            using var report = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var r = report.RootElement;
            progress.Done($": {r.GetProperty("imported").GetInt64():N0} imported, {r.GetProperty("duplicates").GetInt64():N0} already stored, {r.GetProperty("rejected").GetInt64():N0} rejected");
            foreach (var error in r.GetProperty("errors").EnumerateArray())
            {
                Console.WriteLine($"  {path}:{error.GetProperty("line").GetInt64()}: {error.GetProperty("field").GetString()} {error.GetProperty("reason").GetString()}");
            }
        }
        return failed == 0 ? 0 : 1;
    }

    private static HttpClient Client(string[] args)
    {
        var client = new HttpClient { BaseAddress = new Uri(Cli.Option(args, "--url") ?? FleetwatchApp.DefaultUrl), Timeout = Timeout.InfiniteTimeSpan };
        if ((Cli.Option(args, "--key") ?? Environment.GetEnvironmentVariable("API_KEY")) is { Length: > 0 } key) client.DefaultRequestHeaders.Add("X-API-Key", key);
        return client;
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            using var problem = System.Text.Json.JsonDocument.Parse(text);
            var detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : text;
            if (problem.RootElement.TryGetProperty("errors", out var errors))
                detail += " (" + string.Join("; ", errors.EnumerateObject().Select(e => $"{e.Name}: {string.Join(", ", e.Value.EnumerateArray().Select(v => v.GetString()))}")) + ")";
            return $"{(int)response.StatusCode}: {detail}";
        }
        catch (System.Text.Json.JsonException)
        {
            return $"{(int)response.StatusCode}: {text}";
        }
    }

    private static async Task<int> FailAsync(string command, string message, int code)
    {
        await Console.Error.WriteLineAsync($"fleetwatch {command}: {message}");
        return code;
    }

    /// <summary>A bar when the total is known, bytes and rate when not; redrawn on a terminal, one closing line otherwise.</summary>
    private sealed class Progress(string label, long? total)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private long _bytes;
        private long _drawnAt = -1000;

        public void Add(int bytes)
        {
            _bytes += bytes;
            if (_terminal && _clock.ElapsedMilliseconds - _drawnAt >= 200)
            {
                _drawnAt = _clock.ElapsedMilliseconds;
                Console.Error.Write("\r" + Line());
            }
        }

        public void Done(string outcome)
        {
            Console.Error.Write(_terminal ? "\r" : "");
            Console.Error.WriteLine(Line() + outcome);
        }

        private string Line()
        {
            var seconds = Math.Max(0.001, _clock.Elapsed.TotalSeconds);
            var rate = $"{_bytes / seconds / 1e6:F1} MB/s";
            if (total is not { } all || all == 0) return $"{label}: {_bytes / 1e6:F1} MB, {rate}, {seconds:F1} s";
            var share = Math.Min(1, (double)_bytes / all);
            var filled = (int)(share * 30);
            return $"{label} [{new string('#', filled)}{new string('.', 30 - filled)}] {share:P0} {_bytes / 1e6:F1}/{all / 1e6:F1} MB, {rate}";
        }
    }

    /// <summary>A file as the request body, telling the progress how much has been sent.</summary>
    private sealed class CountingStream(Stream inner, Action<int> read) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            read(n);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            read(n);
            return n;
        }
    }
}
