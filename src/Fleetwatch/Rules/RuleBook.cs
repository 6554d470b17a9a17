using Fleetwatch.Devices;
using Fleetwatch.Model;

namespace Fleetwatch.Rules;

/// <summary>
/// Every rule in memory, by project, with the explicit device sets: the evaluator asks "which enabled rules apply
/// to this device" per event without a query. Reloaded whole when any node changes a rule (they change rarely).
/// </summary>
public sealed class RuleBook
{
    private readonly IRuleStore _store;
    private readonly DeviceRegistry _devices;
    private volatile Snapshot _snapshot = new([], []);

    public RuleBook(IRuleStore store, DeviceRegistry devices, ChangeBus changes)
    {
        _store = store;
        _devices = devices;
        changes.Subscribe(ChangeBus.RulesTopic, (_, ct) => LoadAsync(ct));
        changes.Subscribe(ChangeBus.ResyncTopic, (_, ct) => LoadAsync(ct));
    }

    public bool IsEmpty => _snapshot.ByProject.Count == 0;

    public async Task LoadAsync(CancellationToken ct)
    {
        var rules = await _store.ListRulesAsync(null, ct);
        var assigned = await _store.ListRuleDevicesAsync(ct);
        _snapshot = new Snapshot(
            rules.Where(r => r.Enabled).GroupBy(r => r.ProjectId).ToDictionary(g => g.Key, g => g.ToArray()),
            assigned.ToHashSet());
    }

    /// <summary>Whether any enabled inactivity rule exists (the connectivity tracker asks before scheduling rule deadlines).</summary>
    public bool HasInactivityRules => _snapshot.ByProject.Values.Any(rules => rules.Any(r => r.IsInactivity));

    /// <summary>The enabled rules of the device's project that apply to it: ALL; TAG when it has the tag (case-sensitive); EXPLICIT when assigned.</summary>
    public IEnumerable<Rule> For(long projectId, long deviceId)
    {
        var snapshot = _snapshot;
        if (!snapshot.ByProject.TryGetValue(projectId, out var rules)) yield break;
        foreach (var rule in rules)
        {
            var applies = rule.Scope switch
            {
                RuleScope.All => true,
                RuleScope.Tag => rule.Tag is not null && _devices.Get(deviceId)?.HasTag(rule.Tag) == true,
                _ => snapshot.Assigned.Contains((rule.Id, deviceId)),
            };
            if (applies) yield return rule;
        }
    }

    private sealed record Snapshot(Dictionary<long, Rule[]> ByProject, HashSet<(long RuleId, long DeviceId)> Assigned);
}
