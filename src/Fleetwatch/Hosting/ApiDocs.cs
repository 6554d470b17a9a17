using System.Text.Json.Nodes;
using Microsoft.OpenApi;
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
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Fleetwatch",
                    Version = HealthApi.Version,
                    Description = "IoT device telemetry and fleet monitoring: the device-status, fleet, telemetry platform and telemetry backend APIs over one event store.",
                };
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
            options.AddOperationTransformer((operation, _, _) =>
            {
                operation.Responses ??= [];
                foreach (var (status, meaning) in Errors)
                {
                    if (operation.Responses.ContainsKey(status)) continue;
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
        app.MapScalarApiReference("/docs", options => options.WithTitle("Fleetwatch API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
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
