using Fleetwatch.Http;

namespace Fleetwatch.Auth;

/// <summary>
/// How one contract words a refusal: each old API keeps its own status codes and texts for a missing, malformed
/// or wrong key, a role that may not, and a resource that is not there (CONTRACTS.md: 401/401, 401/403, …).
/// Endpoint metadata, set on each contract's route group; the authorization and scope steps answer through it,
/// so no handler words an auth failure itself.
/// </summary>
public class AuthStyle(int missingStatus, string missingDetail, int malformedStatus, string malformedDetail, int invalidStatus, string invalidDetail)
{
    /// <summary>The telemetry platform's (CONTRACTS.md §3), which Fleetwatch's own routes keep too: 401 without a key, 403 for a malformed or wrong one.</summary>
    public static readonly AuthStyle Platform = new(401, "Missing X-API-Key", 403, "Invalid API key format", 403, "Invalid API key");

    public ProblemResult Refuse(AuthFailure failure) => Decorate(failure switch
    {
        AuthFailure.Missing => Problems.Of(missingStatus, missingDetail),
        AuthFailure.Malformed => Problems.Of(malformedStatus, malformedDetail),
        _ => Problems.Of(invalidStatus, invalidDetail),
    }, refusal: true);

    public ProblemResult Forbidden(string detail) => Decorate(Problems.Of(StatusCodes.Status403Forbidden, detail), refusal: true);

    /// <summary>A resource of the route (a device, a rule, …) that does not exist for this caller: missing, or another project's.</summary>
    public ProblemResult NotFound(string resource, string id) => Decorate(Problems.NotFound(NotFoundDetail(resource, id)), refusal: false);

    /// <summary>The forbidden text when the endpoint gives none: what the key's role may not do.</summary>
    public virtual string RoleMayNot(Caller caller, Access access) => access switch
    {
        Access.Read => $"This API key's role ({ApiKeys.RoleName(caller.Role)}) may not read here",
        Access.Write => $"This API key's role ({ApiKeys.RoleName(caller.Role)}) may not write here",
        Access.ServerAdmin => "This needs a server administrator key",
        _ => $"This API key's role ({ApiKeys.RoleName(caller.Role)}) may not do this",
    };

    protected virtual string NotFoundDetail(string resource, string id) => $"{resource} not found";

    /// <summary>Adds what the contract's clients read besides the problem (a "msg", an envelope code).</summary>
    protected virtual ProblemResult Decorate(ProblemResult problem, bool refusal) => problem;
}
