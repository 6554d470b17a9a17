using Fleetwatch.Ingest;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace Fleetwatch.Hosting;

/// <summary>
/// Every error leaves as problem+json: unhandled exceptions (500, never with their message), framework
/// statuses with no body (404 unknown route, 405 wrong method, 413 from Kestrel), and back-pressure (503).
/// </summary>
public static partial class ErrorHandling
{
    public static WebApplication UseFleetwatchErrors(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
            return next(context);
        });
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => StatusFor(ex),
            ExceptionHandler = async context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var status = StatusFor(error);
                if (status == StatusCodes.Status500InternalServerError)
                {
                    var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Fleetwatch.Errors");
                    Log.Unhandled(logger, error, context.Request.Method, context.Request.Path);
                }
                if (status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = "1";
                await new ProblemResult(status, DetailFor(error, status)).ExecuteAsync(context);
            },
        });
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var status = http.Response.StatusCode;
            var detail = status switch
            {
                404 => $"No endpoint at {http.Request.Path}",
                405 => $"{http.Request.Method} is not allowed on {http.Request.Path}",
                // Routing refuses a body the endpoint does not accept before the handler runs.
                415 => $"Content-Type must be application/json, not {http.Request.ContentType}",
                _ => ReasonPhrases.GetReasonPhrase(status),
            };
            await new ProblemResult(status, detail).ExecuteAsync(http);
        });
        return app;
    }

    private static int StatusFor(Exception? error) => error switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        IngestBackpressureException or StorageUnavailableException => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static string DetailFor(Exception? error, int status) => error switch
    {
        BadHttpRequestException { StatusCode: 413 } => "The request body is too large",
        BadHttpRequestException => "The request could not be read",
        IngestBackpressureException => "The server is busy writing; retry after the number of seconds in Retry-After",
        StorageUnavailableException => "The database is unavailable; nothing was stored. Retry later",
        _ when status == 500 => "An unexpected error occurred; the request id identifies it in the server log",
        _ => ReasonPhrases.GetReasonPhrase(status),
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 9001, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, Exception? exception, string method, string path);
    }
}
