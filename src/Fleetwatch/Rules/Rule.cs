
namespace Fleetwatch.Rules;

public enum RuleScope
{
    All,
    Tag,
    Explicit,
}

/// <summary>
/// A rule. A threshold rule (the contract's, CONTRACTS.md §3) fires when at least <see cref="RequiredK"/> of a device's
/// last <see cref="WindowN"/> readings have <see cref="Metric"/> as a number that breaches <c>value Operator Threshold</c>.
/// An inactivity rule fires when the server has received nothing from a device for <see cref="InactiveSeconds"/>.
/// </summary>
public sealed record Rule(long Id, long ProjectId, string Name, string Metric, string Operator, double Threshold, int WindowN, int RequiredK,
    int CooldownSeconds, bool Enabled, RuleScope Scope, string? Tag, string Severity, bool AutoResolve, long CreatedMicros,
    string Type = Rule.ThresholdType, int? InactiveSeconds = null)
{
    public const string ThresholdType = "threshold", InactivityType = "inactivity";

    public bool IsInactivity => Type == InactivityType;

    public static readonly string[] Operators = [">", ">=", "<", "<="];
    public static readonly string[] Severities = ["critical", "major", "minor", "warning", "info"];

    public bool Breaches(double value) => Operator switch
    {
        ">" => value > Threshold,
        ">=" => value >= Threshold,
        "<" => value < Threshold,
        _ => value <= Threshold,
    };

    public static string ScopeName(RuleScope scope) => scope.ToString().ToUpperInvariant();
}

public sealed record Alert(long Id, long ProjectId, long RuleId, long DeviceId, long TriggerEventId, long TriggeredMicros, string State, string Severity,
    string Details, long? AcknowledgedMicros, long? ResolvedMicros);

/// <summary>Which alerts to list: newest first, at most <see cref="Limit"/>.</summary>
/// <param name="BeforeId">The next page: alerts older than this one (ids grow with time).</param>
public sealed record AlertFilter(long? ProjectId, long? DeviceId, long? RuleId, string? State, long? SinceMicros, int Limit, long? BeforeId = null);

public interface IRuleStore
{
    Task<Rule> CreateRuleAsync(Rule rule, CancellationToken ct);
    Task<Rule?> GetRuleAsync(long ruleId, CancellationToken ct);
    Task<IReadOnlyList<Rule>> ListRulesAsync(long? projectId, CancellationToken ct);
    Task<Rule> UpdateRuleAsync(Rule rule, CancellationToken ct);
    Task<bool> DeleteRuleAsync(long ruleId, CancellationToken ct);
    Task SetRuleDevicesAsync(long ruleId, IReadOnlyCollection<long> deviceIds, CancellationToken ct);
    Task<IReadOnlyList<(long RuleId, long DeviceId)>> ListRuleDevicesAsync(CancellationToken ct);

    /// <summary>
    /// Stores the alert of one firing unless that firing is stored already (any node) or an alert of the rule and device
    /// was triggered after <paramref name="quietSinceMicros"/> (the cooldown's start). Returns the new alert, or null.
    /// </summary>
    Task<Alert?> TryRaiseAsync(Alert alert, long quietSinceMicros, CancellationToken ct);

    Task<IReadOnlyList<Alert>> ListAlertsAsync(AlertFilter filter, CancellationToken ct);
    Task<Alert?> GetAlertAsync(long alertId, CancellationToken ct);

    /// <summary>Moves an alert to acknowledged or resolved (never back); returns it as it is now.</summary>
    Task<Alert?> SetAlertStateAsync(long alertId, string state, CancellationToken ct);

    /// <summary>Resolves the open and acknowledged alerts of a rule and device (auto-resolve); how many.</summary>
    Task<int> ResolveOpenAlertsAsync(long ruleId, long deviceId, CancellationToken ct);

    /// <summary>Open alerts per project, for the metrics.</summary>
    Task<IReadOnlyList<(long ProjectId, long Open)>> CountOpenAlertsAsync(CancellationToken ct);

    /// <summary>Open alerts per device of a project (devices with none are left out).</summary>
    Task<Dictionary<long, long>> CountOpenAlertsByDeviceAsync(long projectId, CancellationToken ct);
}
