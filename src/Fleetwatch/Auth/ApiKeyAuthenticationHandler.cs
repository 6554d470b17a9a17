using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Auth;

/// <summary>The principal of a request: its <see cref="Auth.Caller"/>, with the usual claims for anything that reads claims.</summary>
public sealed class CallerIdentity : ClaimsIdentity
{
    public CallerIdentity(Caller caller) : base(ApiKeyAuthenticationHandler.SchemeName)
    {
        Caller = caller;
        AddClaim(new Claim(ClaimTypes.NameIdentifier, caller.KeyPrefix));
        AddClaim(new Claim(ClaimTypes.Role, ApiKeys.RoleName(caller.Role)));
        if (caller.ProjectId is { } project) AddClaim(new Claim("project", project.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (caller.DeviceId is { } device) AddClaim(new Claim("device", device.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    public Caller Caller { get; }
}

/// <summary>The endpoint's caller when no key is sent, if it has one (the fleet simulator's devices, the backend's open reads, the open bootstrap).</summary>
public sealed class AnonymousAccess(Func<IServiceProvider, Caller?> callerFor)
{
    public Caller? CallerFor(IServiceProvider services) => callerFor(services);
}

/// <summary>The endpoint also takes its key as <c>?token=</c>: browsers cannot set headers on a WebSocket or EventSource.</summary>
public sealed class QueryTokenAccess
{
    public static readonly QueryTokenAccess Instance = new();
}

/// <summary>
/// The one place a request's <c>X-API-Key</c> is read: it becomes a principal holding the <see cref="Caller"/> (project,
/// role, device). Run by the authorization step for endpoints with an access policy only, so health, docs and the
/// dashboard's files never look a key up. Why a key failed is kept for the contract's own refusal texts.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyAuthenticator keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-API-Key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var endpoint = Context.GetEndpoint();
        var presented = Request.Headers[HeaderName].ToString();
        if (presented.Length == 0 && endpoint?.Metadata.GetMetadata<QueryTokenAccess>() is not null) presented = Request.Query["token"].ToString();
        Caller? caller;
        if (presented.Length == 0)
        {
            caller = endpoint?.Metadata.GetMetadata<AnonymousAccess>()?.CallerFor(Context.RequestServices);
            if (caller is null) return Failed(AuthFailure.Missing);
        }
        else
        {
            AuthFailure failure;
            (caller, failure) = await keys.AuthenticateAsync(presented, Context.RequestAborted);
            if (caller is null) return Failed(failure);
        }
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new CallerIdentity(caller)), SchemeName));
    }

    private AuthenticateResult Failed(AuthFailure failure)
    {
        Context.Features.Set(new AuthFailureFeature(failure));
        return failure == AuthFailure.Missing ? AuthenticateResult.NoResult() : AuthenticateResult.Fail(failure.ToString());
    }
}

/// <summary>Why authentication failed, for the refusal the contract words.</summary>
public sealed record AuthFailureFeature(AuthFailure Failure);
