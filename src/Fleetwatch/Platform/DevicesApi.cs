using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Tenants;

namespace Fleetwatch.Platform;

/// <summary>
/// The platform API's device registry (CONTRACTS.md §3): devices with names and tags, under a project.
/// Devices made here post statuses and heartbeats like any other, and vice versa.
/// </summary>
public static class DevicesApi
{
    private const int MaxExternalIdLength = 128, MaxNameLength = 200;

    public static RouteGroupBuilder MapDevices(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapPlatformGroup("/projects/{project_id:long}/devices");
        group.MapPost("", CreateDevice).RequireAccess(Access.Admin, "Registering a device needs an admin key of the project")
            .WithSummary("Register a device").WithDescription("`external_id` (unique in the project) and `name` are required, `tags` optional. " +
                "Devices that report through the other APIs first are registered by that, named after their id.")
            .RequireRateLimiting(RateLimits.Devices).Accepts<DeviceBody>("application/json").Produces<DeviceResponse>(StatusCodes.Status201Created);
        group.MapGet("", ListDevices).RequireAccess(Access.Read, "This API key's role may not read devices").ListsOfTheProject().Produces<DeviceResponse[]>()
            .WithSummary("List a project's devices").WithDescription("By id; `?tag=` keeps those with the tag.");
        group.MapGet("/{device_id:long}", (HttpContext http) => TypedResults.Ok(DeviceResponse.From(http.GetScope().Get<DeviceRecord>())))
            .WithSummary("Get a device").WithDescription("Another project's device answers 404.")
            .RequireAccess(Access.Read, "This API key's role may not read devices").Produces<DeviceResponse>();
        group.MapDelete("/{device_id:long}", DeleteDevice).RequireAccess(Access.Admin, "Deleting a device needs an admin key of the project")
            .WithSummary("Delete a device").WithDescription("Removes the device and all its events. Admin key.").Produces(StatusCodes.Status204NoContent);
        // PATCH replaces the tags, POST adds to them, DELETE removes the given ones.
        (string Method, string Summary, Func<string[], string[], string[]> Change)[] tagChanges =
        [
            (HttpMethods.Patch, "Replace a device's tags", (_, given) => given),
            (HttpMethods.Post, "Add tags to a device", (current, given) => [.. current, .. given]),
            (HttpMethods.Delete, "Remove tags from a device", (current, given) => [.. current.Except(given, StringComparer.Ordinal)]),
        ];
        foreach (var (method, summary, change) in tagChanges)
        {
            group.MapMethods("/{device_id:long}/tags", [method],
                (HttpContext http, IDeviceStore store, DeviceRegistry devices, ChangeBus changes) => ChangeTagsAsync(http, store, devices, changes, change))
                .WithSummary(summary).WithDescription("Tags are trimmed, de-duplicated and sorted; the answer holds the device's tags after the change. Admin key.")
                .RequireAccess(Access.Admin, "Changing tags needs an admin key of the project").Accepts<TagsBody>("application/json").Produces<DeviceTagsResponse>();
        }
        return group;
    }

    private static async Task<IResult> CreateDevice(long project_id, HttpContext http, ITenantStore tenants, IDeviceStore store, DeviceRegistry devices, ChangeBus changes)
    {
        if (await tenants.GetProjectAsync(project_id, http.RequestAborted) is null) return Problems.NotFound("project not found");
        var (document, problem) = await JsonRequest.ReadObjectAsync(http.Request);
        if (problem is not null) return problem;
        using (document)
        {
            Dictionary<string, string[]>? errors = null;
            var body = document!.RootElement;
            var externalId = JsonRequest.Text(body, "external_id", MaxExternalIdLength, required: true, ref errors);
            if (externalId is not null && externalId.Any(char.IsControl)) ValidationErrors.Add(ref errors, "external_id", "must not contain control characters");
            // Required, as in the original (CONTRACTS.md §3); devices that appear through the other APIs are named after their id.
            var name = JsonRequest.Text(body, "name", MaxNameLength, required: true, ref errors);
            var tags = JsonRequest.TextArray(body, "tags", DeviceTags.MaxTags, DeviceTags.MaxLength, required: false, ref errors) ?? [];
            if (errors is not null) return Problems.Validation(errors);

            var device = await store.CreateDeviceAsync(project_id, externalId!, name!, DeviceTags.Normalize(tags), http.RequestAborted);
            if (device is null) return Problems.BadRequest("external_id must be unique within the project");
            devices.Add(device);
            await changes.PublishAsync(ChangeBus.DeviceTopic, device.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), http.RequestAborted);
            return TypedResults.Created($"/projects/{project_id}/devices/{device.Id}", DeviceResponse.From(device));
        }
    }

    private static IResult ListDevices(long project_id, string? tag, DeviceRegistry devices)
    {
        var listed = devices.InProject(project_id).Where(d => tag is null || d.HasTag(tag)).OrderBy(d => d.Id);
        return TypedResults.Ok(listed.Select(DeviceResponse.From).ToArray());
    }

    private static async Task<IResult> DeleteDevice(long device_id, IDeviceStore store, ChangeBus changes, HttpContext http)
    {
        await store.DeleteDeviceAsync(device_id, http.RequestAborted);
        await changes.PublishAsync(ChangeBus.DeviceTopic, device_id.ToString(System.Globalization.CultureInfo.InvariantCulture), http.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ChangeTagsAsync(HttpContext http, IDeviceStore store, DeviceRegistry devices, ChangeBus changes,
        Func<string[], string[], string[]> change)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        var (document, problem) = await JsonRequest.ReadObjectAsync(http.Request);
        if (problem is not null) return problem;
        using (document)
        {
            Dictionary<string, string[]>? errors = null;
            var given = JsonRequest.TextArray(document!.RootElement, "tags", DeviceTags.MaxTags, DeviceTags.MaxLength, required: true, ref errors);
            if (errors is not null) return Problems.Validation(errors);
            var tags = DeviceTags.Normalize(change(device.Tags, given!));
            if (tags.Length > DeviceTags.MaxTags) return Problems.Validation("tags", $"a device may have at most {DeviceTags.MaxTags} tags");
            if (!await store.SetTagsAsync(device.Id, tags, http.RequestAborted)) return Problems.NotFound("device not found");
            devices.Add(device with { Tags = tags });
            await changes.PublishAsync(ChangeBus.DeviceTopic, device.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), http.RequestAborted);
            return TypedResults.Ok(new DeviceTagsResponse(device.Id, tags));
        }
    }
}
