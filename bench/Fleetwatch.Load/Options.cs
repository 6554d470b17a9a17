using System.Net.Http.Json;
using System.Text.Json;

namespace Fleetwatch.Load;

public sealed record Options(Uri Url, string Key, IReadOnlyDictionary<string, string> Values)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2) values[args[i].TrimStart('-')] = args[i + 1];
        var url = values.GetValueOrDefault("url") ?? "http://127.0.0.1:8000";
        return new Options(new Uri(url.EndsWith('/') ? url : url + "/"), values.GetValueOrDefault("key") ?? Environment.GetEnvironmentVariable("API_KEY") ?? "", values);
    }

    public string? Db => Values.GetValueOrDefault("db");

    public long Long(string name, long fallback) => Values.TryGetValue(name, out var text) ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    /// <summary>A new org and project through the platform API, and an admin key of the project (the bench's own tenant).</summary>
    public static async Task<(long ProjectId, string Key)> NewProjectAsync(HttpClient admin, string name)
    {
        var org = await (await admin.PostAsJsonAsync("orgs", new { name = $"{name}-{Guid.NewGuid():N}" })).Content.ReadFromJsonAsync<JsonElement>();
        var project = (await (await admin.PostAsJsonAsync($"orgs/{org.GetProperty("id").GetInt64()}/projects", new { name })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var key = (await (await admin.PostAsJsonAsync($"projects/{project}/api-keys", new { })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString()!;
        return (project, key);
    }

    public HttpClient Client(int connections = 16)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = Url, Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Add("X-API-Key", Key);
        return client;
    }
}
