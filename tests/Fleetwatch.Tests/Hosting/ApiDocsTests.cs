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
}
