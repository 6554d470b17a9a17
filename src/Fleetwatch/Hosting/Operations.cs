namespace Fleetwatch.Hosting;

/// <summary>
/// What an operator expects of any server: structured logs, the usual security headers on every response,
/// CORS only when asked for.
/// </summary>
public static class Operations
{
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        // Readable lines for a person at a terminal, JSON lines for log collectors (stdout redirected to a file, a pipe,
        // journald or a container runtime); --log-format console|json (or Logging:Format) says which.
        builder.Logging.ClearProviders();
        var format = builder.Configuration["log-format"] ?? builder.Configuration["Logging:Format"]
            ?? (builder.Environment.IsDevelopment() || !Console.IsOutputRedirected ? "console" : "json");
        format = format.ToLowerInvariant();
        if (format is not ("console" or "json"))
            throw new StartupFailure($"--log-format: {format} is not console or json", StartupFailure.BadUsage);
        if (format.Equals("console", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
        else
        {
            builder.Logging.AddJsonConsole(o =>
            {
                // The hosting scope carries RequestId (the X-Request-Id of the response) into every line of a request.
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        // The framework's per-request lines would log URLs, and a browser's stream URL carries its key as ?token=.
        if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null) builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        var origins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        if (origins.Length > 0)
            builder.Services.AddCors(o => o.AddDefaultPolicy(policy => policy.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("X-Request-Id", "Retry-After")));
        return builder;
    }

    public static WebApplication UseOperations(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            // Nothing this server sends loads a remote resource or may be framed. The API docs page (Scalar) configures
            // itself with inline script and style, so it alone may run them.
            headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/docs")
                ? "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'"
                : "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
            return next(context);
        });
        if ((app.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? []).Length > 0) app.UseCors();
        return app;
    }
}
