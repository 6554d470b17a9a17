using System.ComponentModel;

namespace Fleetwatch.Connectivity;

public sealed class ConnectivityOptions
{
    [Description("A device is active while the server received anything from it this recently (a project or device may set its own).")]
    public int DefaultTimeoutSeconds { get; set; } = 300;

    [Description("How often expired deadlines are looked at: transitions are recorded within the timeout plus this.")]
    public int CheckIntervalMs { get; set; } = 1000;

    [Description("Off: nothing is tracked, no transitions are recorded and no inactivity rule fires (the bench compares ingest and memory with it on and off).")]
    public bool Enabled { get; set; } = true;
}
