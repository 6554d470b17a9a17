using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleetwatch.Tests.Fixtures;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetwatch.Tests.Hosting;

/// <summary>The OpenAPI document lists every HTTP route the server maps, with the key scheme and the error responses.</summary>
public sealed partial class ApiDocsTests
{
    [GeneratedRegex(":[a-z]+}")]
    private static partial Regex RouteConstraint();

    /// <summary>As the document writes paths: no constraints, no trailing slash (a group's "" route has one).</summary>
    private static string Normalize(string pattern)
    {
        var path = RouteConstraint().Replace("/" + pattern.Trim('/'), "}");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    [Fact]
    public async Task EveryBodyTheDocumentDescribes_HasSourceGeneratedJsonMetadata()
    {
        // A trimmed (Native AOT) build has no reflection fallback: the document's generator needs each request and
        // response type from FleetwatchJsonContext, or GET /openapi/v1.json fails there.
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var types = server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .SelectMany(e => e.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>().Select(m => m.Type)
                .Concat(e.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>().Select(m => m.RequestType)))
            .Where(t => t is not null && t != typeof(void) && t != typeof(string) && !typeof(Microsoft.AspNetCore.Http.IResult).IsAssignableFrom(t))
            .Distinct().ToList();
        Assert.NotEmpty(types);
        var missing = types.Where(t => Fleetwatch.Hosting.FleetwatchJsonContext.Default.GetTypeInfo(t!) is null).Select(t => t!.FullName).Order().ToList();
        Assert.True(missing.Count == 0, "not in FleetwatchJsonContext: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task EveryMappedRoute_IsInTheOpenApiDocument_AndTheDocsPageLoads()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var response = await server.Client.GetAsync("/openapi/v1.json", key: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.StartsWith("3.", document.Str("openapi"));
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(method => $"{method.Name.ToUpperInvariant()} {path.Name}"))
            .ToHashSet();

        var mapped = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>() is not null)
            // Routes that serve files rather than API (the dashboard) are left out of the document on purpose.
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods
                .Select(method => $"{method} {Normalize(e.RoutePattern.RawText!)}"))
            .Where(route => !route.Contains("/openapi/") && !route.EndsWith("/docs", StringComparison.Ordinal) && !route.Contains("/docs/") && route != "GET /metrics")
            .ToHashSet();
        Assert.True(mapped.Count > 40, $"{mapped.Count} routes found: {string.Join(", ", mapped)}");
        var missing = mapped.Where(route => !documented.Contains(route)).ToList();
        Assert.True(missing.Count == 0, "not documented: " + string.Join(", ", missing));

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("header", scheme.Str("in"));
        Assert.Equal("X-API-Key", scheme.Str("name"));
        var post = document.GetProperty("paths").GetProperty("/status").GetProperty("post");
        Assert.True(post.GetProperty("responses").TryGetProperty("422", out var invalid));
        Assert.True(invalid.GetProperty("content").TryGetProperty("application/problem+json", out _));

        var docs = await server.Client.GetAsync("/docs", key: null);
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType?.MediaType);
    }

    private static readonly string[] Tags = ["Device status", "Fleet", "Platform", "Telemetry backend", "Fleetwatch"];

    [Fact]
    public async Task EveryOperation_HasAContractTag_ASummary_ADescription_AndASchemaForEveryBody()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var document = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json")).RootElement;
        var faults = new List<string>();
        var operations = 0;
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var (method, operation) in path.Value.EnumerateObject().Select(o => (o.Name, o.Value)))
            {
                operations++;
                var name = $"{method.ToUpperInvariant()} {path.Name}";
                if (!operation.TryGetProperty("tags", out var tags) || !tags.EnumerateArray().Any(t => Tags.Contains(t.GetString())))
                    faults.Add($"{name}: no contract tag");
                if (!operation.TryGetProperty("summary", out var summary) || summary.GetString() is not { Length: > 5 }) faults.Add($"{name}: no summary");
                if (!operation.TryGetProperty("description", out var description) || description.GetString() is not { Length: > 10 }) faults.Add($"{name}: no description");
                if (operation.TryGetProperty("requestBody", out var body))
                {
                    foreach (var media in body.GetProperty("content").EnumerateObject())
                        if (!media.Value.TryGetProperty("schema", out _)) faults.Add($"{name}: request {media.Name} without a schema");
                }
                else if (method is "post" or "put" or "patch" && !operation.GetProperty("responses").EnumerateObject().Any(r => r.Name == "204" || r.Name == "200"))
                {
                    faults.Add($"{name}: no request body described");
                }
                foreach (var response in operation.GetProperty("responses").EnumerateObject())
                {
                    if (!response.Value.TryGetProperty("content", out var content)) continue;
                    foreach (var media in content.EnumerateObject())
                        if (!media.Value.TryGetProperty("schema", out _)) faults.Add($"{name}: response {response.Name} {media.Name} without a schema");
                }
            }
        }
        Assert.True(operations > 60, $"only {operations} operations");
        Assert.True(faults.Count == 0, string.Join("\n", faults));

        // The ingest bodies carry examples, and what answers 201 or 202 is documented so, not as 200.
        var ingest = document.GetProperty("paths").GetProperty("/api/v1/ingest").GetProperty("post");
        Assert.True(ingest.GetProperty("responses").TryGetProperty("201", out _));
        Assert.False(ingest.GetProperty("responses").TryGetProperty("200", out _));
        foreach (var (path, method) in new[] { ("/status", "post"), ("/telemetry", "post"), ("/api/v1/ingest", "post"), ("/api/v1/ingest/batch", "post"), ("/api/v1/devices/{device_id}/heartbeat", "post") })
            Assert.True(document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("requestBody").GetProperty("content").GetProperty("application/json")
                .TryGetProperty("example", out _), $"{method} {path} has no example");
        // Health needs no key, and says so.
        Assert.Equal(0, document.GetProperty("paths").GetProperty("/health").GetProperty("get").GetProperty("security").GetArrayLength());
    }

    /// <summary>Redocly CLI (installed by test.sh, pinned) lints the document with its recommended rules: no error, no warning.</summary>
    [Fact]
    public async Task TheDocument_PassesTheRedoclyLinter()
    {
        var redocly = Environment.GetEnvironmentVariable("FLEETWATCH_REDOCLY") is { Length: > 0 } installed
            ? installed
            : throw new InvalidOperationException("FLEETWATCH_REDOCLY is not set: run the tests with ./test.sh, which installs the Redocly CLI");
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        var file = Path.Combine(Path.GetTempPath(), $"fleetwatch-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, await server.Client.GetStringAsync("/openapi/v1.json"));
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo(redocly, ["lint", file, "--format=stylish", "--max-problems", "200"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            info.Environment["REDOCLY_TELEMETRY"] = "off";
            info.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
            using var lint = System.Diagnostics.Process.Start(info)!;
            var output = await lint.StandardOutput.ReadToEndAsync() + await lint.StandardError.ReadToEndAsync();
            await lint.WaitForExitAsync();
            Assert.True(lint.ExitCode == 0, output);
            Assert.Contains("Your API description is valid", output);
            Assert.DoesNotContain(" warning ", output);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
