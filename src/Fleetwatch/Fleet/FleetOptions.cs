using System.ComponentModel;

namespace Fleetwatch.Fleet;

public sealed class FleetOptions
{
    [Description("Accept fleet requests without a key, for the default project's devices, as the original service did. On when the server starts with a devices file; otherwise off unless set here (Fleet:AnonymousAccess).")]
    public bool AnonymousAccess { get; set; }
}
