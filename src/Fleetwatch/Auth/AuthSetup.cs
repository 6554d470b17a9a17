namespace Fleetwatch.Auth;

public static class AuthSetup
{
    /// <summary>Keys, the API-key scheme, the access policies, and the scope step's project and key resolvers.</summary>
    public static WebApplicationBuilder AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration("Auth").ValidateOnStart();
        builder.Services.AddSingleton<ApiKeyAuthenticator>();
        builder.Services.AddSingleton<KeyUsageRecorder>();
        builder.Services.AddHostedService(s => s.GetRequiredService<KeyUsageRecorder>());
        builder.Services.AddSingleton<Tenancy>();
        builder.Services.AddAccessPolicies();
        builder.Services.AddSingleton<IScopeResolver, ProjectResolver>();
        builder.Services.AddSingleton<IScopeResolver, ApiKeyResolver>();
        return builder;
    }

    /// <summary>
    /// One way in: the key becomes a caller (authorization runs the API-key scheme for endpoints with a policy), then
    /// every resource the route names is resolved to the caller's project before any handler runs.
    /// </summary>
    public static WebApplication UseAuth(this WebApplication app)
    {
        app.UseAuthorization();
        app.UseMiddleware<ScopeMiddleware>();
        return app;
    }

    /// <summary><c>GET /auth/me</c>: whose key this is (the dashboard asks, to show the project and what the key may do).</summary>
    public static WebApplication MapAuth(this WebApplication app)
    {
        app.MapGroup("/auth").WithAuthStyle(AuthStyle.Platform).MapGet("/me", (HttpContext http) =>
        {
            var scope = http.GetScope();
            return TypedResults.Ok(new MeResponse(scope.ProjectId, ApiKeys.RoleName(scope.Caller.Role), scope.Caller.KeyPrefix, scope.Caller.IsServerAdmin));
        }).RequireAccess(Access.Any).WithTags(Http.ApiTags.Fleetwatch).Produces<MeResponse>()
            .WithSummary("Who am I").WithDescription("The project, role and prefix of the key sent, and whether it is a server administrator's.");
        return app;
    }
}

public sealed record MeResponse(long ProjectId, string Role, string KeyPrefix, bool ServerAdmin);
