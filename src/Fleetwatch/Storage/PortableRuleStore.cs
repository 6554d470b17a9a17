using System.Data.Common;
using Fleetwatch.Model;
using Fleetwatch.Rules;

namespace Fleetwatch.Storage;

/// <summary>
/// Rules and alerts on either engine. Unlike the event store, nothing here is on a hot path and the SQL is the
/// same on SQLite and PostgreSQL (named <c>@</c> parameters, <c>ON CONFLICT</c>, <c>RETURNING</c>), so one
/// implementation serves both; the only difference is how concurrent raisers are serialised.
/// </summary>
public sealed class PortableRuleStore(Func<CancellationToken, Task<DbConnection>> open, bool postgres) : PortableSql(open), IRuleStore
{
    private const string RuleColumns = "id, project_id, name, metric, operator, threshold, window_n, required_k, cooldown_seconds, enabled, scope, tag, severity, auto_resolve, created_at, type, inactive_seconds";
    private const string AlertColumns = "id, project_id, rule_id, device_id, trigger_event_id, triggered_at, state, severity, details, acknowledged_at, resolved_at";

    public async Task<Rule> CreateRuleAsync(Rule rule, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var id = (long)(await ScalarAsync(connection, null, """
            INSERT INTO rules (project_id, name, metric, operator, threshold, window_n, required_k, cooldown_seconds, enabled, scope, tag, severity, auto_resolve, created_at,
                type, inactive_seconds)
            VALUES (@project, @name, @metric, @operator, @threshold, @window, @required, @cooldown, @enabled, @scope, @tag, @severity, @auto, @created, @type, @inactive)
            RETURNING id
            """, ct, RuleParameters(rule with { CreatedMicros = Clock.NowMicros() })))!;
        return (await GetRuleAsync(id, ct))!;
    }

    public async Task<Rule?> GetRuleAsync(long ruleId, CancellationToken ct) =>
        (await QueryAsync($"SELECT {RuleColumns} FROM rules WHERE id = @id", ReadRule, ct, ("id", ruleId))).FirstOrDefault();

    public async Task<IReadOnlyList<Rule>> ListRulesAsync(long? projectId, CancellationToken ct) => projectId is { } project
        ? await QueryAsync($"SELECT {RuleColumns} FROM rules WHERE project_id = @project ORDER BY id", ReadRule, ct, ("project", project))
        : await QueryAsync($"SELECT {RuleColumns} FROM rules ORDER BY id", ReadRule, ct);

    public async Task<Rule> UpdateRuleAsync(Rule rule, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, null, """
            UPDATE rules SET name = @name, metric = @metric, operator = @operator, threshold = @threshold, window_n = @window, required_k = @required,
                cooldown_seconds = @cooldown, enabled = @enabled, scope = @scope, tag = @tag, severity = @severity, auto_resolve = @auto,
                type = @type, inactive_seconds = @inactive
            WHERE id = @id
            """, ct, [.. RuleParameters(rule), ("id", rule.Id)]);
        return (await GetRuleAsync(rule.Id, ct))!;
    }

    public async Task<bool> DeleteRuleAsync(long ruleId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, tx, "DELETE FROM rule_devices WHERE rule_id = @id", ct, ("id", ruleId));
        var deleted = await ExecuteAsync(connection, tx, "DELETE FROM rules WHERE id = @id", ct, ("id", ruleId));
        await tx.CommitAsync(ct);
        return deleted == 1;
    }

    public async Task SetRuleDevicesAsync(long ruleId, IReadOnlyCollection<long> deviceIds, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, tx, "DELETE FROM rule_devices WHERE rule_id = @id", ct, ("id", ruleId));
        foreach (var device in deviceIds.Distinct())
            await ExecuteAsync(connection, tx, "INSERT INTO rule_devices (rule_id, device_id) VALUES (@rule, @device)", ct, ("rule", ruleId), ("device", device));
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<(long RuleId, long DeviceId)>> ListRuleDevicesAsync(CancellationToken ct) =>
        await QueryAsync("SELECT rule_id, device_id FROM rule_devices", r => (r.GetInt64(0), r.GetInt64(1)), ct);

    public async Task<Alert?> TryRaiseAsync(Alert alert, long quietSinceMicros, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        // SQLite: the transaction takes the database's write lock. PostgreSQL: an advisory lock per rule and device, so
        // two nodes raising different firings of one rule and device at once see each other's (the cooldown holds).
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (postgres) await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(@key)", ct, ("key", alert.RuleId * 1_000_003 + alert.DeviceId));
        var id = await ScalarAsync(connection, tx, """
            INSERT INTO alerts (project_id, rule_id, device_id, trigger_event_id, triggered_at, state, severity, details)
            SELECT @project, @rule, @device, @event, @at, 'open', @severity, @details
            WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE rule_id = @rule AND device_id = @device AND triggered_at > @cooldown_start)
            ON CONFLICT (rule_id, device_id, trigger_event_id) DO NOTHING
            RETURNING id
            """, ct, ("project", alert.ProjectId), ("rule", alert.RuleId), ("device", alert.DeviceId), ("event", alert.TriggerEventId),
            ("at", alert.TriggeredMicros), ("severity", alert.Severity), ("details", alert.Details), ("cooldown_start", quietSinceMicros));
        // The alert and one outbox row per enabled webhook of the project commit together: a raised alert is always delivered.
        if (id is long raised)
        {
            await ExecuteAsync(connection, tx, """
                INSERT INTO webhook_deliveries (project_id, webhook_id, alert_id, status, attempts, next_attempt_at, created_at)
                SELECT project_id, id, @alert, 'pending', 0, @now, @now FROM webhooks WHERE project_id = @project AND enabled = 1
                """, ct, ("alert", raised), ("now", alert.TriggeredMicros), ("project", alert.ProjectId));
        }
        await tx.CommitAsync(ct);
        return id is long alertId ? alert with { Id = alertId } : null;
    }

    public async Task<IReadOnlyList<Alert>> ListAlertsAsync(AlertFilter filter, CancellationToken ct)
    {
        var where = new List<string>();
        var parameters = new List<(string, object?)>();
        void Add(string condition, string name, object? value)
        {
            where.Add(condition);
            parameters.Add((name, value));
        }
        if (filter.ProjectId is { } project) Add("project_id = @project", "project", project);
        if (filter.DeviceId is { } device) Add("device_id = @device", "device", device);
        if (filter.RuleId is { } rule) Add("rule_id = @rule", "rule", rule);
        if (filter.State is { } state) Add("state = @state", "state", state);
        if (filter.SinceMicros is { } since) Add("triggered_at >= @since", "since", since);
        if (filter.BeforeId is { } before) Add("id < @before", "before", before);
        parameters.Add(("limit", filter.Limit));
        return await QueryAsync($"SELECT {AlertColumns} FROM alerts {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY id DESC LIMIT @limit",
            ReadAlert, ct, [.. parameters]);
    }

    public async Task<Alert?> GetAlertAsync(long alertId, CancellationToken ct) =>
        (await QueryAsync($"SELECT {AlertColumns} FROM alerts WHERE id = @id", ReadAlert, ct, ("id", alertId))).FirstOrDefault();

    public async Task<Alert?> SetAlertStateAsync(long alertId, string state, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var now = Clock.NowMicros();
        // open → acknowledged → resolved; acknowledging a resolved alert changes nothing.
        var sql = state == "resolved"
            ? "UPDATE alerts SET state = 'resolved', resolved_at = @now WHERE id = @id AND state <> 'resolved'"
            : "UPDATE alerts SET state = 'acknowledged', acknowledged_at = @now WHERE id = @id AND state = 'open'";
        await ExecuteAsync(connection, null, sql, ct, ("now", now), ("id", alertId));
        return await GetAlertAsync(alertId, ct);
    }

    public async Task<int> ResolveOpenAlertsAsync(long ruleId, long deviceId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecuteAsync(connection, null,
            "UPDATE alerts SET state = 'resolved', resolved_at = @now WHERE rule_id = @rule AND device_id = @device AND state <> 'resolved'",
            ct, ("now", Clock.NowMicros()), ("rule", ruleId), ("device", deviceId));
    }

    public async Task<IReadOnlyList<(long ProjectId, long Open)>> CountOpenAlertsAsync(CancellationToken ct) =>
        await QueryAsync("SELECT project_id, COUNT(*) FROM alerts WHERE state = 'open' GROUP BY project_id", r => (r.GetInt64(0), r.GetInt64(1)), ct);

    public async Task<Dictionary<long, long>> CountOpenAlertsByDeviceAsync(long projectId, CancellationToken ct) =>
        (await QueryAsync("SELECT device_id, COUNT(*) FROM alerts WHERE project_id = @project AND state = 'open' GROUP BY device_id",
            r => (Device: r.GetInt64(0), Open: r.GetInt64(1)), ct, ("project", projectId))).ToDictionary(c => c.Device, c => c.Open);

    private static (string, object?)[] RuleParameters(Rule rule) =>
    [
        ("project", rule.ProjectId), ("name", rule.Name), ("metric", rule.Metric), ("operator", rule.Operator), ("threshold", rule.Threshold),
        ("window", rule.WindowN), ("required", rule.RequiredK), ("cooldown", rule.CooldownSeconds), ("enabled", rule.Enabled ? 1 : 0),
        ("scope", Rule.ScopeName(rule.Scope)), ("tag", rule.Tag), ("severity", rule.Severity), ("auto", rule.AutoResolve ? 1 : 0), ("created", rule.CreatedMicros),
        ("type", rule.Type), ("inactive", rule.InactiveSeconds),
    ];

    private static Rule ReadRule(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetDouble(5),
        r.GetInt32(6), r.GetInt32(7), r.GetInt32(8), r.GetInt32(9) != 0, Enum.Parse<RuleScope>(r.GetString(10), ignoreCase: true),
        r.IsDBNull(11) ? null : r.GetString(11), r.GetString(12), r.GetInt32(13) != 0, r.GetInt64(14), r.GetString(15), r.IsDBNull(16) ? null : r.GetInt32(16));

    private static Alert ReadAlert(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
        r.GetString(6), r.GetString(7), r.GetString(8), r.IsDBNull(9) ? null : r.GetInt64(9), r.IsDBNull(10) ? null : r.GetInt64(10));
}
