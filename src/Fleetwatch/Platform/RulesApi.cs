using System.Globalization;
using System.Text.Json;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Rules;
using Fleetwatch.Tenants;

namespace Fleetwatch.Platform;

public sealed record RuleResponse(long Id, long ProjectId, string Name, string Metric, string Operator, double Threshold, int WindowN, int RequiredK,
    int CooldownSeconds, bool Enabled, string Scope, string? Tag, string Severity, bool AutoResolve, string CreatedAt, string Type, int? InactiveSeconds)
{
    public static RuleResponse From(Rule r) => new(r.Id, r.ProjectId, r.Name, r.Metric, r.Operator, r.Threshold, r.WindowN, r.RequiredK,
        r.CooldownSeconds, r.Enabled, Rule.ScopeName(r.Scope), r.Tag, r.Severity, r.AutoResolve, Timestamps.Format(r.CreatedMicros), r.Type, r.InactiveSeconds);
}

/// <summary>
/// The body of a rule, for the API document; on PATCH every field is optional. <c>type</c> is <c>threshold</c> (the default:
/// <c>metric</c> and <c>threshold</c> required) or <c>inactivity</c> (<c>inactive_seconds</c> required, no metric).
/// </summary>
public sealed record RuleBody(string Name, string? Metric, string? Operator, double? Threshold, int? WindowN, int? RequiredK, int? CooldownSeconds,
    bool? Enabled, string? Scope, string? Tag, string? Severity, bool? AutoResolve, string? Type, int? InactiveSeconds);

public sealed record RuleDevicesBody(long[] DeviceIds);

/// <summary>Rules (CONTRACTS.md §3): created and listed per project, changed and deleted by id, devices assigned for EXPLICIT scope.</summary>
public static class RulesApi
{
    public static void MapRules(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapPlatformGroup();
        group.MapPost("/projects/{project_id:long}/rules", CreateAsync).RequireAccess(Access.Admin, "Creating a rule needs an admin key of the project")
            .WithSummary("Create a rule")
            .WithDescription("A threshold rule fires when at least `required_k` of a device's last `window_n` readings have `metric` `operator` " +
                "`threshold` (a status's battery_level, an upload time, any measurement). An inactivity rule (`type: inactivity`) fires when the server " +
                "has received nothing from a device for `inactive_seconds`, and auto-resolves when it hears from it again. Scope ALL, TAG (with `tag`) or " +
                "EXPLICIT (devices assigned). 400 when required_k > window_n.")
            .Accepts<RuleBody>("application/json").Produces<RuleResponse>(StatusCodes.Status201Created);
        group.MapGet("/projects/{project_id:long}/rules", (long project_id, HttpContext http, IRuleStore store) => ListAsync(project_id, http, store, enabledOnly: false))
            .RequireAccess(Access.Any).ListsOfTheProject().Produces<RuleResponse[]>()
            .WithSummary("List a project's rules").WithDescription("Newest id first.");
        group.MapGet("/projects/{project_id:long}/rules/enabled", (long project_id, HttpContext http, IRuleStore store) => ListAsync(project_id, http, store, enabledOnly: true))
            .RequireAccess(Access.Any).ListsOfTheProject().Produces<RuleResponse[]>()
            .WithSummary("List a project's enabled rules").WithDescription("Newest id first.");
        group.MapGet("/rules/{rule_id:long}", (HttpContext http) => TypedResults.Ok(RuleResponse.From(http.GetScope().Get<Rule>())))
            .RequireAccess(Access.Any).Produces<RuleResponse>()
            .WithSummary("Get a rule").WithDescription("Another project's rule answers 404.");
        group.MapPatch("/rules/{rule_id:long}", UpdateAsync).RequireAccess(Access.Admin, "Changing a rule needs an admin key of the project")
            .WithSummary("Change a rule").WithDescription("Any of the rule's fields; the others stay. The whole rule is validated again.")
            .Accepts<RuleBody>("application/json").Produces<RuleResponse>();
        group.MapDelete("/rules/{rule_id:long}", DeleteAsync).RequireAccess(Access.Admin, "Deleting a rule needs an admin key of the project")
            .WithSummary("Delete a rule").WithDescription("Its alerts stay.").Produces(StatusCodes.Status204NoContent);
        group.MapPost("/rules/{rule_id:long}/devices", AssignAsync).RequireAccess(Access.Admin, "Assigning devices needs an admin key of the project")
            .WithSummary("Assign devices to a rule").WithDescription("Replaces the set of devices an EXPLICIT rule watches. 400 for a device of another project.")
            .Accepts<RuleDevicesBody>("application/json").Produces(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> CreateAsync(long project_id, HttpContext http, ITenantStore tenants, IRuleStore store, ChangeBus changes)
    {
        if (await tenants.GetProjectAsync(project_id, http.RequestAborted) is null) return Problems.NotFound("project not found");
        var blank = new Rule(0, project_id, "", "", ">", double.NaN, 1, 1, 300, true, RuleScope.All, null, "warning", false, 0);
        var (rule, problem) = await ReadAsync(http, blank, partial: false);
        if (problem is not null) return problem;
        var created = await store.CreateRuleAsync(rule!, http.RequestAborted);
        await changes.PublishAsync(ChangeBus.RulesTopic, created.Id.ToString(CultureInfo.InvariantCulture), http.RequestAborted);
        return TypedResults.Created($"/rules/{created.Id}", RuleResponse.From(created));
    }

    private static async Task<IResult> ListAsync(long projectId, HttpContext http, IRuleStore store, bool enabledOnly)
    {
        var rules = await store.ListRulesAsync(projectId, http.RequestAborted);
        // Newest id first, as the original lists them.
        return TypedResults.Ok(rules.Where(r => !enabledOnly || r.Enabled).OrderByDescending(r => r.Id).Select(RuleResponse.From).ToArray());
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, IRuleStore store, ChangeBus changes)
    {
        var (rule, problem) = await ReadAsync(http, http.GetScope().Get<Rule>(), partial: true);
        if (problem is not null) return problem;
        var updated = await store.UpdateRuleAsync(rule!, http.RequestAborted);
        await changes.PublishAsync(ChangeBus.RulesTopic, updated.Id.ToString(CultureInfo.InvariantCulture), http.RequestAborted);
        return TypedResults.Ok(RuleResponse.From(updated));
    }

    private static async Task<IResult> DeleteAsync(long rule_id, HttpContext http, IRuleStore store, ChangeBus changes)
    {
        await store.DeleteRuleAsync(rule_id, http.RequestAborted);
        await changes.PublishAsync(ChangeBus.RulesTopic, rule_id.ToString(CultureInfo.InvariantCulture), http.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> AssignAsync(long rule_id, HttpContext http, IRuleStore store, DeviceRegistry devices, ChangeBus changes)
    {
        var scope = http.GetScope();
        var rule = scope.Get<Rule>();
        var (document, problem) = await JsonRequest.ReadObjectAsync(http.Request);
        if (problem is not null) return problem;
        var ids = new List<long>();
        using (document)
        {
            if (!document!.RootElement.TryGetProperty("device_ids", out var list) || list.ValueKind != JsonValueKind.Array)
                return Problems.Validation("device_ids", "is required: an array of device ids");
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var id)) return Problems.Validation("device_ids", "must hold integer device ids");
                ids.Add(id);
            }
        }
        foreach (var id in ids)
        {
            // Another project's device does not exist for this caller; a server key may name one of another project (400 below).
            if (devices.Find(scope, id) is not { } device) return Problems.NotFound($"device not found: {id}");
            if (device.ProjectId != rule.ProjectId) return Problems.BadRequest($"device {id} not in rule's project");
        }
        await store.SetRuleDevicesAsync(rule_id, ids, http.RequestAborted);
        await changes.PublishAsync(ChangeBus.RulesTopic, rule_id.ToString(CultureInfo.InvariantCulture), http.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>The rule as the body changes it (all fields on create, any on PATCH), validated whole.</summary>
    private static async Task<(Rule? Rule, ProblemResult? Problem)> ReadAsync(HttpContext http, Rule current, bool partial)
    {
        var (document, problem) = await JsonRequest.ReadObjectAsync(http.Request);
        if (problem is not null) return (null, problem);
        using (document)
        {
            var body = document!.RootElement;
            Dictionary<string, string[]>? errors = null;
            var name = JsonRequest.Text(body, "name", 200, required: !partial, ref errors) ?? current.Name;
            var type = JsonRequest.Text(body, "type", 16, required: false, ref errors) ?? current.Type;
            if (type is not (Rule.ThresholdType or Rule.InactivityType)) ValidationErrors.Add(ref errors, "type", "must be threshold or inactivity");
            var inactivity = type == Rule.InactivityType;
            // An inactivity rule watches silence, not a metric: no metric, no threshold, but how many seconds of it.
            var metric = JsonRequest.Text(body, "metric", 128, required: !partial && !inactivity, ref errors) ?? (inactivity ? "" : current.Metric);
            var op = JsonRequest.Text(body, "operator", 2, required: false, ref errors) ?? current.Operator;
            if (!Rule.Operators.Contains(op)) ValidationErrors.Add(ref errors, "operator", "must be one of >, >=, <, <=");
            var threshold = JsonRequest.Number(body, "threshold", ref errors) ?? (inactivity && double.IsNaN(current.Threshold) ? 0 : current.Threshold);
            if (double.IsNaN(threshold) && errors?.ContainsKey("threshold") != true) ValidationErrors.Add(ref errors, "threshold", "is required");
            var inactiveSeconds = JsonRequest.Integer(body, "inactive_seconds", 1, 31 * 86_400, ref errors) ?? current.InactiveSeconds;
            if (inactivity && inactiveSeconds is null && errors?.ContainsKey("inactive_seconds") != true)
                ValidationErrors.Add(ref errors, "inactive_seconds", "is required for an inactivity rule");
            var windowN = JsonRequest.Integer(body, "window_n", 1, RuleEvaluator.MaxWindow, ref errors) ?? current.WindowN;
            var requiredK = JsonRequest.Integer(body, "required_k", 1, RuleEvaluator.MaxWindow, ref errors) ?? current.RequiredK;
            var cooldown = JsonRequest.Integer(body, "cooldown_seconds", 0, 86_400, ref errors) ?? current.CooldownSeconds;
            var enabled = JsonRequest.Boolean(body, "enabled", ref errors) ?? current.Enabled;
            var scopeText = JsonRequest.Text(body, "scope", 16, required: false, ref errors);
            var scope = current.Scope;
            if (scopeText is not null && !Enum.TryParse(scopeText, ignoreCase: true, out scope)) ValidationErrors.Add(ref errors, "scope", "must be ALL, TAG or EXPLICIT");
            var tag = body.TryGetProperty("tag", out _) ? JsonRequest.Text(body, "tag", DeviceTags.MaxLength, required: false, ref errors) : current.Tag;
            if (scope == RuleScope.Tag && tag is null && errors?.ContainsKey("tag") != true) ValidationErrors.Add(ref errors, "tag", "is required when scope is TAG");
            // A tag the rule would ignore is a mistake the client should hear about (CONTRACTS.md §3).
            if (scope != RuleScope.Tag && body.TryGetProperty("tag", out var given) && given.ValueKind != JsonValueKind.Null)
                ValidationErrors.Add(ref errors, "tag", $"must not be given when scope is {Rule.ScopeName(scope)}; only TAG rules have a tag");
            var severity = JsonRequest.Text(body, "severity", 16, required: false, ref errors) ?? current.Severity;
            if (!Rule.Severities.Contains(severity)) ValidationErrors.Add(ref errors, "severity", "must be critical, major, minor, warning or info");
            var autoResolve = JsonRequest.Boolean(body, "auto_resolve", ref errors) ?? current.AutoResolve;
            if (errors is not null) return (null, Problems.Validation(errors));
            if (requiredK > windowN) return (null, Problems.BadRequest("required_k cannot be greater than window_n"));
            return (current with
            {
                Name = name, Metric = metric, Operator = op, Threshold = threshold, WindowN = windowN, RequiredK = requiredK, CooldownSeconds = cooldown,
                Enabled = enabled, Scope = scope, Tag = scope == RuleScope.Tag ? tag : null, Severity = severity, AutoResolve = autoResolve,
                Type = type, InactiveSeconds = inactivity ? inactiveSeconds : null,
            }, null);
        }
    }
}
