using Fleetwatch.Ingest;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace Fleetwatch.Http;

/// <summary>
/// Every error leaves as problem+json: unhandled exceptions (500, never with their message), framework
/// statuses with no body (404 unknown route, 405 wrong method, 413 from Kestrel), back-pressure (503), and any
/// database failure on any route (503 with Retry-After, CONTRACTS.md: key lookups, reads and writes alike).
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
            // The framework would log every handled exception as an error with its stack; an expected 503 (busy, database
            // down) gets one warning line of ours instead, and only a 500 is logged as an error.
            SuppressDiagnosticsCallback = context => StatusFor(context.Exception) != StatusCodes.Status500InternalServerError,
            ExceptionHandler = async context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var status = StatusFor(error);
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Fleetwatch.Errors");
                if (status == ClientClosedRequest || context.RequestAborted.IsCancellationRequested)
                {
                    // The client went away mid-request (a load test ending, a device losing its link): nobody reads an answer.
                    Log.ClientGone(logger, context.Request.Method, context.Request.Path);
                    context.Response.StatusCode = ClientClosedRequest;
                    return;
                }
                if (status == StatusCodes.Status500InternalServerError) Log.Unhandled(logger, error, context.Request.Method, context.Request.Path);
                else if (IsDatabaseFailure(error)) Log.DatabaseFailed(logger, error!.GetBaseException().Message, context.Request.Method, context.Request.Path);
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

    /// <summary>nginx's status for a request its client abandoned; never seen by that client.</summary>
    private const int ClientClosedRequest = 499;

    private static int StatusFor(Exception? error) => error switch
    {
        OperationCanceledException or Microsoft.AspNetCore.Connections.ConnectionResetException or Microsoft.AspNetCore.Connections.ConnectionAbortedException
            => ClientClosedRequest,
        BadHttpRequestException { InnerException: Microsoft.AspNetCore.Connections.ConnectionResetException } => ClientClosedRequest,
        BadHttpRequestException bad => bad.StatusCode,
        IngestBackpressureException or StorageUnavailableException => StatusCodes.Status503ServiceUnavailable,
        _ when IsDatabaseFailure(error) => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>
    /// A failure of the database, wherever it surfaced: the driver's exceptions (refused or broken connections, a
    /// database that is gone, a lock not granted in time, an exhausted pool) derive from DbException, sometimes
    /// wrapped. Answered 503: the client may retry, and nothing was acknowledged.
    /// </summary>
    public static bool IsDatabaseFailure(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException or StorageUnavailableException) return true;
        }
        return false;
    }

    private static string DetailFor(Exception? error, int status) => error switch
    {
        BadHttpRequestException { StatusCode: 413 } => "The request body is too large",
        BadHttpRequestException => "The request could not be read",
        IngestBackpressureException => "The server is busy writing; retry after the number of seconds in Retry-After",
        StorageUnavailableException => "The database is unavailable; nothing was stored. Retry later",
        _ when IsDatabaseFailure(error) => "The database is unavailable; nothing was changed. Retry later",
        _ when status == 500 => "An unexpected error occurred; the request id identifies it in the server log",
        _ => ReasonPhrases.GetReasonPhrase(status),
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.UnhandledError, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, Exception? exception, string method, string path);

        [LoggerMessage(EventId = LogEvents.ClientGone, Level = LogLevel.Debug, Message = "The client closed {Method} {Path} before it was answered")]
        public static partial void ClientGone(ILogger logger, string method, string path);

        [LoggerMessage(EventId = LogEvents.DatabaseFailure, Level = LogLevel.Warning, Message = "Database failure in {Method} {Path}, answered 503: {Reason}")]
        public static partial void DatabaseFailed(ILogger logger, string reason, string method, string path);
    }
}
