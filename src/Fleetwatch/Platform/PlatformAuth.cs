using Fleetwatch.Auth;
using Fleetwatch.Http;

namespace Fleetwatch.Platform;

/// <summary>The telemetry platform's refusals (CONTRACTS.md §3): 401 without a key, 403 for a malformed or wrong one; "rule not found" and so on.</summary>
public static class PlatformAuth
{
    public static readonly AuthStyle Style = AuthStyle.Platform;

    /// <summary>A route group of the platform API (or of Fleetwatch's own, <paramref name="tag"/> <see cref="ApiTags.Fleetwatch"/>, which keeps its conventions).</summary>
    public static RouteGroupBuilder MapPlatformGroup(this IEndpointRouteBuilder routes, string prefix = "", string tag = ApiTags.Platform) =>
        routes.MapGroup(prefix).WithAuthStyle(Style).WithTags(tag);
}
