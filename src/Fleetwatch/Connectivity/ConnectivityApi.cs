using System.Globalization;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Platform;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Connectivity;

/// <summary>
/// Connectivity of a project and of one device, and the inactivity timeouts behind it:
/// <c>/projects/{project_id}/connectivity</c> and <c>/projects/{project_id}/devices/{device_id}/connectivity</c>.
/// </summary>
public static class ConnectivityApi
{
    /// <summary>A day: longer silences are what inactivity rules are for.</summary>
    public const int MaxTimeoutSeconds = 86_400;
    private const string TimeoutField = "inactivity_timeout_seconds";

    public sealed record ProjectConnectivity(long ProjectId, int InactivityTimeoutSeconds, bool TimeoutIsDefault, int Active, int Inactive);

    public sealed record DeviceConnectivity(long DeviceId, string ExternalId, string State, string? Since, string? LastSeenAt, string? DeviceTime,
        int InactivityTimeoutSeconds, string TimeoutFrom)
    {
        public static DeviceConnectivity From(DeviceRecord device, ConnectivityView view, ConnectivityTracker tracker) =>
            new(device.Id, device.ExternalId, view.State, Timestamps.FormatOrNull(view.SinceMicros), Timestamps.FormatOrNull(view.LastSeenMicros),
                Timestamps.FormatOrNull(view.DeviceTimeMicros), view.TimeoutSeconds,
                device.InactivityTimeoutSeconds is not null ? "device" : tracker.ProjectTimeoutSeconds(device.ProjectId) is not null ? "project" : "server");
    }

    public sealed record Transition(string State, string Since, string? Reason, string RecordedAt);

    public sealed record TransitionsResponse(long DeviceId, string ExternalId, IReadOnlyList<Transition> Transitions);

    /// <summary>The request body: a timeout in seconds, or null to fall back (device → project → server default).</summary>
    public sealed record TimeoutBody(int? InactivityTimeoutSeconds);

    public static void MapConnectivity(this IEndpointRouteBuilder routes)
    {
        var project = routes.MapPlatformGroup("/projects/{project_id:long}/connectivity", ApiTags.Fleetwatch);
        project.MapGet("", (long project_id, ConnectivityTracker tracker) => TypedResults.Ok(ProjectView(project_id, tracker)))
            .RequireAccess(Access.Read).Produces<ProjectConnectivity>()
            .WithSummary("A project's connectivity")
            .WithDescription("The project's inactivity timeout and how many of its devices are active (heard from within it) and inactive.");
        project.MapPatch("", SetProjectTimeoutAsync).RequireAccess(Access.Admin, "Changing the inactivity timeout needs an admin key of the project")
            .Accepts<TimeoutBody>("application/json").Produces<ProjectConnectivity>()
            .WithSummary("Set a project's inactivity timeout")
            .WithDescription($"`inactivity_timeout_seconds` 1–{MaxTimeoutSeconds}, or null for the server's default. Devices with their own timeout keep it.");

        var device = routes.MapPlatformGroup("/projects/{project_id:long}/devices/{device_id:long}/connectivity", ApiTags.Fleetwatch);
        device.MapGet("", (HttpContext http, ConnectivityTracker tracker) =>
            {
                var record = http.GetScope().Get<DeviceRecord>();
                return TypedResults.Ok(DeviceConnectivity.From(record, tracker.Get(record), tracker));
            })
            .RequireAccess(Access.Read).Produces<DeviceConnectivity>()
            .WithSummary("A device's connectivity")
            .WithDescription("`state` is active while the server has received anything from the device within its timeout; `since` is when that " +
                "state began, `last_seen_at` the server's receive time of its latest event, `device_time` the device's own latest timestamp.");
        device.MapGet("/history", TransitionsAsync).RequireAccess(Access.Read).Produces<TransitionsResponse>()
            .WithSummary("A device's connectivity transitions")
            .WithDescription("Newest first: each time the device became active or inactive, as recorded (events of kind `connectivity`). `limit` 1–1000 (100).");
        device.MapPatch("", SetDeviceTimeoutAsync).RequireAccess(Access.Admin, "Changing the inactivity timeout needs an admin key of the project")
            .Accepts<TimeoutBody>("application/json").Produces<DeviceConnectivity>()
            .WithSummary("Set a device's inactivity timeout")
            .WithDescription($"`inactivity_timeout_seconds` 1–{MaxTimeoutSeconds}, or null for the project's.");
    }

    private static async Task<IResult> TransitionsAsync(HttpContext http, string? limit, ITelemetryStore events, MetricDictionary metrics)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        var count = 100;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > 1000))
            return Problems.Validation("limit", "must be a whole number from 1 to 1000");
        var stored = await events.ReadEventsAsync(EventQuery.Page(device.Id, [EventKind.Connectivity], long.MinValue, long.MaxValue, ascending: false, count),
            metrics, http.RequestAborted);
        return TypedResults.Ok(new TransitionsResponse(device.Id, device.ExternalId, [.. stored.Select(e => new Transition(
            e.Get(ConnectivityTracker.StateField)?.Text ?? "", Timestamps.Format(e.TsMicros), e.Get(ConnectivityTracker.ReasonField)?.Text,
            Timestamps.Format(e.ReceivedMicros)))]));
    }

    private static ProjectConnectivity ProjectView(long projectId, ConnectivityTracker tracker)
    {
        var (active, inactive) = tracker.CountPerProject().GetValueOrDefault(projectId);
        var own = tracker.ProjectTimeoutSeconds(projectId);
        return new ProjectConnectivity(projectId, own ?? tracker.DefaultTimeoutSeconds, own is null, active, inactive);
    }

    private static async Task<IResult> SetProjectTimeoutAsync(long project_id, HttpContext http, IConnectivityStore store, ConnectivityTracker tracker, ChangeBus changes)
    {
        var (seconds, problem) = await ReadTimeoutAsync(http.Request);
        if (problem is not null) return problem;
        if (!await store.SetProjectTimeoutAsync(project_id, seconds, http.RequestAborted)) return Problems.NotFound("project not found");
        await changes.PublishAsync(ConnectivityTracker.ChangeTopic, project_id.ToString(CultureInfo.InvariantCulture), http.RequestAborted);
        return TypedResults.Ok(ProjectView(project_id, tracker));
    }

    private static async Task<IResult> SetDeviceTimeoutAsync(HttpContext http, IConnectivityStore store, DeviceRegistry devices, ConnectivityTracker tracker, ChangeBus changes)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        var (seconds, problem) = await ReadTimeoutAsync(http.Request);
        if (problem is not null) return problem;
        if (!await store.SetDeviceTimeoutAsync(device.Id, seconds, http.RequestAborted)) return Problems.NotFound("device not found");
        var changed = device with { InactivityTimeoutSeconds = seconds };
        devices.Add(changed);
        await changes.PublishAsync(ChangeBus.DeviceTopic, device.Id.ToString(CultureInfo.InvariantCulture), http.RequestAborted);
        return TypedResults.Ok(DeviceConnectivity.From(changed, tracker.Get(changed), tracker));
    }

    private static async Task<(int? Seconds, ProblemResult? Problem)> ReadTimeoutAsync(HttpRequest request)
    {
        var (document, problem) = await JsonRequest.ReadObjectAsync(request);
        if (problem is not null) return (null, problem);
        using (document)
        {
            var body = document!.RootElement;
            if (!body.TryGetProperty(TimeoutField, out _)) return (null, Problems.Validation(TimeoutField, "is required (a number of seconds, or null for the default)"));
            Dictionary<string, string[]>? errors = null;
            var seconds = JsonRequest.Integer(body, TimeoutField, 1, MaxTimeoutSeconds, ref errors);
            return errors is null ? (seconds, null) : (null, Problems.Validation(errors));
        }
    }
}
