using Fleetwatch.Hosting;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Auth;

/// <summary>What a telemetry-backend route needs of its caller.</summary>
public enum BackendAccess
{
    /// <summary>Reads: no key by default (the default project), or any key that may read.</summary>
    Read,
    /// <summary>Ingest: a device's own key, a project key that may write, or one of <c>DEVICE_API_KEYS</c>.</summary>
    Write,
    /// <summary>Device management: an admin key.</summary>
    Admin,
}

/// <summary>The telemetry backend's authentication (CONTRACTS.md §4): 401 without a key, 403 with a wrong one, its error codes in the body.</summary>
public static class BackendAuth
{
    public const string AuthenticationFailed = "AUTHENTICATION_FAILED";
    public const string MissingKeyDetail = "Missing X-API-Key header";

    public static TBuilder RequireBackendKey<TBuilder>(this TBuilder endpoint, BackendAccess access) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var presented = http.Request.Headers[ApiKeyEndpoints.HeaderName].ToString();
            Caller? caller;
            if (presented.Length == 0)
            {
                if (access != BackendAccess.Read || !http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.AnonymousBackendReads)
                    return Problems.Coded(StatusCodes.Status401Unauthorized, MissingKeyDetail, AuthenticationFailed);
                caller = new Caller(http.RequestServices.GetRequiredService<Tenancy>().DefaultProjectId, KeyRole.Read, "anonymous");
            }
            else
            {
                (caller, _) = await http.RequestServices.GetRequiredService<ApiKeyAuthenticator>().AuthenticateAsync(presented, http.RequestAborted);
                if (caller is null) return Problems.Coded(StatusCodes.Status403Forbidden, "Invalid API key", AuthenticationFailed);
                var allowed = access switch
                {
                    BackendAccess.Read => caller.CanRead,
                    BackendAccess.Write => caller.CanWrite,
                    _ => caller.Role == KeyRole.Admin,
                };
                if (!allowed) return Problems.Coded(StatusCodes.Status403Forbidden, $"This API key ({ApiKeys.RoleName(caller.Role)}) may not do this", AuthenticationFailed);
            }
            http.Items[typeof(Caller)] = caller;
            return await next(context);
        });
}
