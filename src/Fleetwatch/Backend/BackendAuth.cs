using Fleetwatch.Auth;
using Fleetwatch.Http;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Backend;

/// <summary>
/// The telemetry backend's refusals (CONTRACTS.md §4): 401 without a key, 403 with a wrong one, its error codes in the
/// body; reads without a key act on the default project unless <c>Auth:AnonymousBackendReads</c> is false.
/// </summary>
public static class BackendAuth
{
    public const string AuthenticationFailed = "AUTHENTICATION_FAILED", DeviceNotFound = "DEVICE_NOT_FOUND";
    public const string MissingKeyDetail = "Missing X-API-Key header";

    public static readonly AuthStyle Style = new BackendStyle();

    private static readonly AnonymousAccess AnonymousReads = new(services =>
        services.GetRequiredService<IOptions<AuthOptions>>().Value.AnonymousBackendReads
            ? new Caller(services.GetRequiredService<Tenancy>().DefaultProjectId, KeyRole.Read, "anonymous")
            : null);

    public static RouteGroupBuilder MapBackendGroup(this IEndpointRouteBuilder routes, string prefix) =>
        routes.MapGroup(prefix).WithAuthStyle(Style).WithTags(ApiTags.Backend);

    /// <summary>A read of the backend API: no key needed by default, as in the original.</summary>
    public static TBuilder RequireBackendRead<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAccess(Access.Read).WithMetadata(AnonymousReads);

    private sealed class BackendStyle() : AuthStyle(401, MissingKeyDetail, 403, "Invalid API key", 403, "Invalid API key")
    {
        public override string RoleMayNot(Caller caller, Access access) => $"This API key ({ApiKeys.RoleName(caller.Role)}) may not do this";

        protected override string NotFoundDetail(string resource, string id) => $"Device not found: {id}";

        protected override ProblemResult Decorate(ProblemResult problem, bool refusal) => Problems.Coded(problem, refusal ? AuthenticationFailed : DeviceNotFound);
    }
}
