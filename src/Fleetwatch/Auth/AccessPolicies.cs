using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Fleetwatch.Auth;

/// <summary>An endpoint's own wording for a role that may not (<c>"Creating a rule needs an admin key of the project"</c>).</summary>
public sealed record ForbiddenDetail(string Detail);

/// <summary>
/// One authorization policy per <see cref="Access"/>, each authenticating with the API-key scheme; failures are
/// answered in the endpoint's contract style (<see cref="AuthStyle"/>), not by the framework's bare 401/403.
/// </summary>
public static class AccessPolicies
{
    public static IServiceCollection AddAccessPolicies(this IServiceCollection services)
    {
        // No default scheme (ASP.NET Core makes a lone scheme the default unless told not to): only endpoints with a policy
        // look a key up, so /health, /metrics and the dashboard's files never touch the key store.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.KeepDataProtectionInMemory();
        services.AddAuthorization(options =>
        {
            foreach (var access in Enum.GetValues<Access>())
            {
                options.AddPolicy(AccessRules.PolicyName(access), policy => policy
                    .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                    .RequireAuthenticatedUser()
                    .AddRequirements(new AccessRequirement(access)));
            }
        });
        services.AddSingleton<IAuthorizationHandler, AccessRequirementHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ContractRefusals>();
        return services;
    }

    /// <summary>The endpoint (or group) needs <paramref name="access"/>; <paramref name="forbidden"/> words the refusal of a role that may not.</summary>
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, Access access, string? forbidden = null) where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization(AccessRules.PolicyName(access));
        if (forbidden is not null) builder.WithMetadata(new ForbiddenDetail(forbidden));
        return builder;
    }

    /// <summary>The contract whose texts and codes the endpoint's refusals use.</summary>
    public static TBuilder WithAuthStyle<TBuilder>(this TBuilder builder, AuthStyle style) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(style);

    public static Caller GetCaller(this HttpContext http) =>
        (http.User.Identity as CallerIdentity)?.Caller ?? throw new InvalidOperationException("The endpoint has no access policy, so it has no caller");

    public sealed record AccessRequirement(Access Access) : IAuthorizationRequirement;

    private sealed class AccessRequirementHandler : AuthorizationHandler<AccessRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AccessRequirement requirement)
        {
            if (context.User.Identity is CallerIdentity { Caller: var caller } && caller.Allows(requirement.Access)) context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }

    /// <summary>Writes a failed authorization as the endpoint's contract does: a missing or bad key, or a role that may not.</summary>
    private sealed class ContractRefusals : IAuthorizationMiddlewareResultHandler
    {
        private static readonly AuthStyle Fallback = new(401, "Missing API key", 401, "Invalid API key", 401, "Invalid API key");

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Succeeded) return next(context);
            var metadata = context.GetEndpoint()?.Metadata;
            var style = metadata?.GetMetadata<AuthStyle>() ?? Fallback;
            if (authorizeResult.Challenged || context.User.Identity is not CallerIdentity { Caller: var caller })
                return style.Refuse(context.Features.Get<AuthFailureFeature>()?.Failure ?? AuthFailure.Missing).ExecuteAsync(context);
            var access = policy.Requirements.OfType<AccessRequirement>().Select(r => r.Access).FirstOrDefault(a => !caller.Allows(a));
            return style.Forbidden(metadata?.GetMetadata<ForbiddenDetail>()?.Detail ?? style.RoleMayNot(caller, access)).ExecuteAsync(context);
        }
    }
}
