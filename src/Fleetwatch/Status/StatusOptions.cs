namespace Fleetwatch.Status;

public sealed class StatusOptions
{
    /// <summary>A device whose latest battery is below this is at risk.</summary>
    public int AtRiskBatteryBelow { get; set; } = 20;

    /// <summary>A device that has sent no status for longer than this is at risk.</summary>
    public int AtRiskSilentMinutes { get; set; } = 30;
}
