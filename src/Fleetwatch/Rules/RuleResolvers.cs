using Fleetwatch.Auth;

namespace Fleetwatch.Rules;

/// <summary><c>{rule_id}</c>: the rule and its project.</summary>
public sealed class RuleResolver(IRuleStore store) : IScopeResolver
{
    public string Parameter => "rule_id:long";
    public string Resource => "rule";

    public async ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct) =>
        long.TryParse(value, out var id) && await store.GetRuleAsync(id, ct) is { } rule ? (rule.ProjectId, rule) : null;
}

/// <summary><c>{alert_id}</c>: the alert and its project.</summary>
public sealed class AlertResolver(IRuleStore store) : IScopeResolver
{
    public string Parameter => "alert_id:long";
    public string Resource => "alert";

    public async ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct) =>
        long.TryParse(value, out var id) && await store.GetAlertAsync(id, ct) is { } alert ? (alert.ProjectId, alert) : null;
}
