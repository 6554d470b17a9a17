using Fleetwatch.Hosting;

namespace Fleetwatch.Auth;

/// <summary>How one API words its auth failures: each keeps its original status codes and texts (CONTRACTS.md).</summary>
public sealed record AuthStyle(int MissingStatus, string MissingDetail, int MalformedStatus, string MalformedDetail, int InvalidStatus, string InvalidDetail)
{
    public static readonly AuthStyle DeviceStatus = new(401, "Missing API key", 401, "Invalid API key", 401, "Invalid API key");
    public static readonly AuthStyle Platform = new(401, "Missing X-API-Key", 403, "Invalid API key format", 403, "Invalid API key");
}

public static class ApiKeyEndpoints
{
    public const string HeaderName = "X-API-Key";

    /// <summary>
    /// Authenticates every request of the group before its handler reads a body or a query. With
    /// <paramref name="keylessIsServerAdmin"/> (the open bootstrap for trusted networks), a request without a
    /// key acts as a server administrator.
    /// </summary>
    public static RouteGroupBuilder RequireApiKey(this RouteGroupBuilder group, AuthStyle style, bool keylessIsServerAdmin = false)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (keylessIsServerAdmin && string.IsNullOrEmpty(http.Request.Headers[HeaderName]))
            {
                http.Items[typeof(Caller)] = new Caller(null, KeyRole.Admin, "open-bootstrap");
                return await next(context);
            }
            var authenticator = http.RequestServices.GetRequiredService<ApiKeyAuthenticator>();
            var (caller, failure) = await authenticator.AuthenticateAsync(http.Request.Headers[HeaderName].ToString(), http.RequestAborted);
            if (caller is null)
            {
                return failure switch
                {
                    AuthFailure.Missing => Problems.Of(style.MissingStatus, style.MissingDetail),
                    AuthFailure.Malformed => Problems.Of(style.MalformedStatus, style.MalformedDetail),
                    _ => Problems.Of(style.InvalidStatus, style.InvalidDetail),
                };
            }
            http.Items[typeof(Caller)] = caller;
            return await next(context);
        });
        return group;
    }

    public static RouteHandlerBuilder RequireWriteRole(this RouteHandlerBuilder endpoint) => endpoint.AddEndpointFilter(async (context, next) =>
        context.HttpContext.GetCaller().CanWrite ? await next(context) : Forbidden(context.HttpContext, "write"));

    public static RouteHandlerBuilder RequireReadRole(this RouteHandlerBuilder endpoint) => endpoint.AddEndpointFilter(async (context, next) =>
        context.HttpContext.GetCaller().CanRead ? await next(context) : Forbidden(context.HttpContext, "read"));

    public static Caller GetCaller(this HttpContext http) =>
        http.Items[typeof(Caller)] as Caller ?? throw new InvalidOperationException("The endpoint's group does not require an API key");

    private static ProblemResult Forbidden(HttpContext http, string action) =>
        Problems.Of(StatusCodes.Status403Forbidden, $"This API key's role ({ApiKeys.RoleName(http.GetCaller().Role)}) may not {action} here");
}
