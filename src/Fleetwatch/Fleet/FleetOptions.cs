
namespace Fleetwatch.Fleet;

public sealed class FleetOptions
{
    /// <summary>
    /// Accept fleet requests without a key, for the default project's devices, as the original service did.
    /// On when the server starts with a devices file; otherwise off unless set here (<c>Fleet:AnonymousAccess</c>).
    /// </summary>
    public bool AnonymousAccess { get; set; }
}
