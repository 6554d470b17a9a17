using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Fleetwatch.Http;
using Microsoft.AspNetCore.OpenApi;
using Scalar.AspNetCore;

namespace Fleetwatch.Hosting;

/// <summary>
/// The OpenAPI 3 document generated from the endpoints, at <c>/openapi/v1.json</c>, with the API-key scheme and
/// the problem+json error responses every endpoint can give; interactive docs at <c>/docs</c> (Scalar).
/// </summary>
public static class ApiDocs
{
    private const string SchemeName = "ApiKey";

    public static WebApplicationBuilder AddApiDocs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options =>
        {
            // Component names may not hold "[]" (a generic of an array): "EnvelopedOfReadingResponseList".
            options.CreateSchemaReferenceId = type => OpenApiOptions.CreateDefaultSchemaReferenceId(type)?.Replace("[]", "List", StringComparison.Ordinal);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Fleetwatch",
                    Version = HealthApi.Version,
                    Description = "IoT device telemetry and fleet monitoring: the device-status, fleet, telemetry platform and telemetry backend APIs over " +
                        "one event store. A 2xx means committed and synced. Errors are RFC 9457 problems naming the field and the reason.",
                    License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
                };
                // The generator writes the request's base URL with a trailing slash; paths already start with one.
                foreach (var server in document.Servers ?? []) server.Url = server.Url?.TrimEnd('/');
                document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = "X-API-Key",
                    Description = "A key `<8 hex>.<secret>` of the project (or the server administrator key). Streams also take it as `?token=`.",
                };
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                var policed = metadata.OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Any();
                // No key at all (health, the fleet service's root): say so, or clients would send one for nothing.
                if (!policed) operation.Security = [];
                else if (metadata.OfType<Auth.AnonymousAccess>().Any())
                    operation.Description += " Without a key where the server allows it (see the README).";
                AddRouteParameters(operation, context.Description);
                // A stable, unique id per operation, for client generators: the method and the path.
                operation.OperationId = System.Text.RegularExpressions.Regex.Replace(
                    $"{context.Description.HttpMethod}_{context.Description.RelativePath}".ToLowerInvariant(), "[^a-z0-9]+", "_").Trim('_');
                if (metadata.OfType<RequestExample>().LastOrDefault() is { } example && operation.RequestBody?.Content?.TryGetValue("application/json", out var body) == true)
                    body.Example = JsonNode.Parse(example.Json);
                operation.Responses ??= [];
                var limited = metadata.OfType<Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute>().Any();
                foreach (var (status, meaning) in Errors)
                {
                    if (operation.Responses.ContainsKey(status) || (!policed && status is "401" or "403") || (!limited && status == "429")) continue;
                    operation.Responses[status] = new OpenApiResponse
                    {
                        Description = meaning,
                        Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = Problem() } },
                    };
                }
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        // Offline-friendly: no buttons to Scalar's hosted client, agent or MCP, no telemetry, no fonts from a CDN.
        app.MapScalarApiReference("/docs", options => options.WithTitle("Fleetwatch API").WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .HideClientButton().DisableAgent().DisableMcp().DisableTelemetry().DisableDefaultFonts().HideDeveloperTools());
        return app;
    }

    private static readonly (string Name, string Description)[] Tags =
    [
        (ApiTags.DeviceStatus, "The Ubiety device-status services' API: devices post their status; latest, summary, at-risk and history."),
        (ApiTags.Fleet, "The SafelyYou fleet-monitoring API: heartbeats and upload times in, uptime and average upload time out."),
        (ApiTags.Platform, "The telemetry platform API: orgs, projects and keys; devices with tags; telemetry batches; rules, alerts and webhooks."),
        (ApiTags.Backend, "The telemetry backend API: devices with their own keys, readings in, history and aggregates out, live streams."),
        (ApiTags.Fleetwatch, "Fleetwatch's own additions, in the platform API's conventions: the fleet overview, alert states, uptime per day, whole-project streams."),
    ];

    /// <summary>
    /// Route parameters a handler does not bind itself (the scope step resolves them before it runs) are described from the
    /// route: an integer where the route constrains it to one, else a string.
    /// </summary>
    private static void AddRouteParameters(OpenApiOperation operation, Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription description)
    {
        var template = description.ActionDescriptor.AttributeRouteInfo?.Template ?? description.RelativePath ?? "";
        operation.Parameters ??= [];
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(template, "\\{\\*{0,2}(?<name>[A-Za-z_]+)(?<constraint>:[a-z]+)?\\??\\}"))
        {
            var name = m.Groups["name"].Value;
            if (operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name)) continue;
            var integer = m.Groups["constraint"].Value == ":long";
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Path,
                Required = true,
                Description = integer ? "An id the server gave out." : "The device's own id (the one it reports with).",
                Schema = integer ? new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" } : new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
    }

    private static readonly (string Status, string Meaning)[] Errors =
    [
        ("400", "Malformed JSON or a request the API refuses as a whole; the detail says why."),
        ("401", "No API key."),
        ("403", "A wrong, revoked or insufficient API key."),
        ("404", "Unknown device or resource (another project's resources are unknown too)."),
        ("422", "A field is invalid: `errors` maps each field to its reasons."),
        ("429", "Rate limit reached; retry after Retry-After seconds."),
        ("503", "The writer is saturated or the database is unavailable; nothing was stored. Retry after Retry-After seconds."),
    ];

    /// <summary>RFC 9457 as Fleetwatch writes it.</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Always a string, with the original services' message text." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
            ["request_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Also in the X-Request-Id header and the server's logs." },
        },
        Examples = [JsonNode.Parse("""{"type":"https://www.rfc-editor.org/rfc/rfc9110#section-15.5.21","title":"Unprocessable Entity","status":422,"detail":"battery_level: must be between 0 and 100","errors":{"battery_level":["must be between 0 and 100"]},"request_id":"0HN…:00000001"}""")!],
    };
}
