using System.ComponentModel;

namespace Fleetwatch.Status;

public sealed class StatusOptions
{
    [Description("A device whose latest battery is below this is at risk.")]
    public int AtRiskBatteryBelow { get; set; } = 20;

    [Description("A device that has sent no status for longer than this is at risk.")]
    public int AtRiskSilentMinutes { get; set; } = 30;

    [Description("Optional: a device whose latest RSSI is below this (e.g. −80 dBm) is at risk too. Off by default, as in the contract.")]
    public int? AtRiskRssiBelow { get; set; }

    /// <summary>Whether <see cref="AtRiskReasons"/> has any reason, without building them (summaries count many devices).</summary>
    public bool IsAtRisk(LatestStatus status, long nowMicros) =>
        status.BatteryLevel < AtRiskBatteryBelow
        || (AtRiskRssiBelow is { } rssi && status.Rssi < rssi)
        || status.TsMicros < nowMicros - AtRiskSilentMinutes * 60_000_000L;

    /// <summary>Why a device is at risk now, or null when it is not: the one definition the at-risk list, the summary and the metrics share.</summary>
    public List<string>? AtRiskReasons(LatestStatus status, long nowMicros)
    {
        List<string>? reasons = null;
        if (status.BatteryLevel < AtRiskBatteryBelow) (reasons ??= []).Add($"battery below {AtRiskBatteryBelow}%");
        if (AtRiskRssiBelow is { } rssi && status.Rssi < rssi) (reasons ??= []).Add($"signal below {rssi} dBm");
        if (status.TsMicros < nowMicros - AtRiskSilentMinutes * 60_000_000L) (reasons ??= []).Add($"no status for more than {AtRiskSilentMinutes} minutes");
        return reasons;
    }
}
