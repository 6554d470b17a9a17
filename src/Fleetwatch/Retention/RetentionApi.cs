using Fleetwatch.Auth;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Platform;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Retention;

/// <summary><c>/projects/{project_id}/retention</c>: how long a project's raw events and hourly rollups are kept.</summary>
public static class RetentionApi
{
    public const int MaxDays = 36_500;
    private const string RawField = "raw_days", RollupField = "rollup_days";

    /// <summary>The days in effect (null: forever) and whether each is the server's default.</summary>
    public sealed record RetentionResponse(long ProjectId, int? RawDays, int? RollupDays, bool RawDaysIsDefault, bool RollupDaysIsDefault);

    /// <summary>The request body: either field may be left out (unchanged) or null (the server's default).</summary>
    public sealed record RetentionBody(int? RawDays, int? RollupDays);

    public static void MapRetention(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapPlatformGroup("/projects/{project_id:long}/retention", ApiTags.Fleetwatch);
        group.MapGet("", GetAsync).RequireAccess(Access.Read).Produces<RetentionResponse>()
            .WithSummary("A project's retention")
            .WithDescription("Days raw events (`raw_days`) and hourly rollups (`rollup_days`) are kept; null is forever. Aggregates over a range whose " +
                "raw events expired are answered from the rollups while they are kept.");
        group.MapPatch("", SetAsync).RequireAccess(Access.Admin, "Changing retention needs an admin key of the project")
            .Accepts<RetentionBody>("application/json").Produces<RetentionResponse>()
            .WithSummary("Set a project's retention")
            .WithDescription($"`raw_days` and `rollup_days`, 1–{MaxDays}, or null for the server's default (Retention:RawDays, Retention:RollupDays). " +
                "Rollups are kept at least as long as raw events. Expired data is deleted in the background (Retention:IntervalMs).");
    }

    private static async Task<IResult> GetAsync(long project_id, IRetentionStore store, IOptions<RetentionOptions> options, CancellationToken ct) =>
        await store.GetAsync(project_id, ct) is { } own ? TypedResults.Ok(View(own, options.Value)) : Problems.NotFound("project not found");

    private static async Task<IResult> SetAsync(long project_id, HttpContext http, IRetentionStore store, IOptions<RetentionOptions> options)
    {
        var ct = http.RequestAborted;
        if (await store.GetAsync(project_id, ct) is not { } own) return Problems.NotFound("project not found");
        var (document, problem) = await JsonRequest.ReadObjectAsync(http.Request);
        if (problem is not null) return problem;
        using (document)
        {
            var body = document!.RootElement;
            Dictionary<string, string[]>? errors = null;
            var raw = body.TryGetProperty(RawField, out _) ? JsonRequest.Integer(body, RawField, 1, MaxDays, ref errors) : own.RawDays;
            var rollup = body.TryGetProperty(RollupField, out _) ? JsonRequest.Integer(body, RollupField, 1, MaxDays, ref errors) : own.RollupDays;
            var changed = own with { RawDays = raw, RollupDays = rollup };
            var effective = View(changed, options.Value);
            if (errors is null && effective.RollupDays is { } rollupDays && (effective.RawDays is null || effective.RawDays > rollupDays))
                ValidationErrors.Add(ref errors, RollupField, $"must be at least raw_days ({effective.RawDays?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "forever"}): " +
                    "rollups answer for the raw events that expired");
            if (errors is not null) return Problems.Validation(errors);
            if (!await store.SetAsync(changed, ct)) return Problems.NotFound("project not found");
            return TypedResults.Ok(effective);
        }
    }

    private static RetentionResponse View(ProjectRetention own, RetentionOptions defaults) =>
        new(own.ProjectId, own.RawDays ?? defaults.RawDays, own.RollupDays ?? defaults.RollupDays, own.RawDays is null, own.RollupDays is null);
}
