using System.Net.Http.Json;
using Fleetwatch.Auth;
using Fleetwatch.Tests.Fixtures;
using Microsoft.AspNetCore.Authorization;
using Xunit.Abstractions;

namespace Fleetwatch.Tests.Platform;

/// <summary>
/// Every mapped route (read from the endpoint data source, so a route is covered the day it is added) × the keys a
/// caller may hold: its own project's, another project's in the same org, another org's, a read-only one, a revoked
/// one, a garbled one, none. Project A owns every resource the routes name. Expectations come from the endpoint's own
/// metadata: its access policy, its contract's refusal texts, whether it is a list.
/// </summary>
public abstract class AuthorizationMatrixTests(ServerFixture fixture, ITestOutputHelper output)
{
    private const string Secret = "a-secret";
    private TestServer Server => fixture.Server;
    private HttpClient Client => fixture.Server.Client;

    private sealed record Keys(string Own, string ReadOnly, string OtherProject, string OtherOrg, string Revoked);

    /// <summary>Project A with one of everything a route can name — a device, a rule that has fired, a webhook and its delivery, a second key — and the keys to try.</summary>
    private async Task<(Dictionary<string, string> Values, Keys Keys)> SetUpAsync()
    {
        var org = await (await Client.PostJsonAsync("/orgs", new { name = "org-" + Guid.NewGuid().ToString("N")[..12] }, TestServer.AdminKey)).ReadJsonAsync();
        var project = await (await Client.PostJsonAsync($"/orgs/{org.Long("id")}/projects", new { name = Secret + "-project" }, TestServer.AdminKey)).ReadJsonAsync();
        var a = new Tenant(org.Long("id"), project.Long("id"), await Server.NewKeyAsync(project.Long("id"), KeyRole.Admin));
        // The secret marks A's data that no request of this test names: the project's name, a tag, a rule's name, a webhook's URL.
        var deviceId = await a.AddDeviceAsync(Server, "cam-a", Secret + "-tag");
        var rule = await (await Client.PostJsonAsync($"/projects/{a.ProjectId}/rules", new { name = Secret + "-rule", metric = "t", threshold = 1, cooldown_seconds = 0 }, a.Key)).ReadJsonAsync();
        var webhook = await (await Client.PostJsonAsync($"/projects/{a.ProjectId}/webhooks", new { url = "http://127.0.0.1:9/" + Secret }, a.Key)).ReadJsonAsync();
        await Client.PostJsonAsync("/telemetry", new { device_external_id = "cam-a", events = new[] { new { ts = 100, data = new { t = 42 } } } }, a.Key);
        List<System.Text.Json.JsonElement> alerts = [];
        for (var i = 0; i < 200 && alerts.Count == 0; i++)
        {
            alerts = [.. (await (await Client.GetAsync($"/projects/{a.ProjectId}/alerts", a.Key)).ReadJsonAsync()).EnumerateArray()];
            if (alerts.Count == 0) await Task.Delay(50);
        }
        var deliveries = await (await Client.GetAsync($"/projects/{a.ProjectId}/webhook-deliveries", a.Key)).ReadJsonAsync();
        var spareKey = (await (await Client.PostJsonAsync($"/projects/{a.ProjectId}/api-keys", new { name = Secret }, a.Key)).ReadJsonAsync()).Str("api_key");
        var readOnly = await Server.NewKeyAsync(a.ProjectId, KeyRole.Read);
        var revoked = await Server.NewKeyAsync(a.ProjectId, KeyRole.Admin);
        await Client.DeleteAsync($"/projects/{a.ProjectId}/api-keys/{revoked[..8]}", a.Key);

        // Another project of the same org, and a project of another org, each with an admin key.
        var sibling = await (await Client.PostJsonAsync($"/orgs/{a.OrgId}/projects", new { name = "sibling" }, TestServer.AdminKey)).ReadJsonAsync();
        var siblingKey = await Server.NewKeyAsync(sibling.Long("id"), KeyRole.Admin);
        var stranger = await Tenant.CreateAsync(Server);

        var values = new Dictionary<string, string>
        {
            ["project_id:long"] = a.ProjectId.ToString(),
            ["org_id:long"] = a.OrgId.ToString(),
            ["device_id:long"] = deviceId.ToString(),
            ["device_id"] = "cam-a",
            ["rule_id:long"] = rule.Long("id").ToString(),
            ["webhook_id:long"] = webhook.Long("id").ToString(),
            ["alert_id:long"] = Assert.Single(alerts).Long("id").ToString(),
            ["delivery_id:long"] = deliveries[0].Long("id").ToString(),
            ["prefix"] = spareKey[..8],
            ["path"] = "index.html",
        };
        return (values, new Keys(a.Key, readOnly, siblingKey, stranger.Key, revoked));
    }

    private async Task<(int Status, string Body)> SendAsync(RouteSweep.Route route, string? key)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path).WithKey(key);
        if (route.Method != "GET") request.Content = JsonContent.Create(new { });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        // Live streams never end: their headers say enough.
        var body = response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? "" : await response.Content.ReadAsStringAsync(timeout.Token);
        return ((int)response.StatusCode, body);
    }

    [Fact]
    public async Task EveryRoute_TimesEveryKindOfKey_GetsWhatItsPolicyAndContractSay()
    {
        var (values, keys) = await SetUpAsync();
        var failures = new List<string>();
        var tried = 0;
        // DELETE last: the own key's requests may change A (a deleted device answers 404 afterwards, which is no refusal).
        foreach (var route in RouteSweep.All(Server, values).OrderBy(r => r.Method == "DELETE"))
        {
            var endpoint = route.Endpoint;
            var access = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>()
                .Select(p => Enum.Parse<Access>(p["access:".Length..])).DefaultIfEmpty(Access.Any).Max();
            var policed = endpoint.Metadata.GetMetadata<IAuthorizeData>() is not null;
            var style = endpoint.Metadata.GetMetadata<AuthStyle>();
            var anonymous = endpoint.Metadata.GetMetadata<AnonymousAccess>() is not null;
            var isList = endpoint.Metadata.GetMetadata<EmptyListWhenForeign>() is not null;
            var scoped = route.Pattern.Contains("{project_id") || route.Pattern.Contains("{device_id") || route.Pattern.Contains("_id:long}") || route.Pattern.Contains("{prefix}");
            void Expect(bool ok, string key, (int Status, string Body) got, string want)
            {
                tried++;
                if (!ok) failures.Add($"{route} with the {key} key: {got.Status} {got.Body[..Math.Min(200, got.Body.Length)]} (wanted {want})");
                if (key is not ("own" or "read-only") && got.Body.Contains(Secret, StringComparison.Ordinal)) failures.Add($"{route} with the {key} key leaked A's data: {got.Body}");
            }

            if (!policed)
            {
                // No key needed (health, docs, metrics, the dashboard's files): no key is no refusal.
                var open = await SendAsync(route, null);
                Expect(open.Status is not (401 or 403), "absent", open, "no refusal");
                continue;
            }
            Assert.True(style is not null, $"{route} has an access policy but no AuthStyle: its refusals would not be in its contract's words");

            var absent = await SendAsync(route, null);
            var missing = style!.Refuse(AuthFailure.Missing);
            Expect(anonymous ? absent.Status is not (401 or 403) || absent.Status == missing.StatusCode : absent.Status == missing.StatusCode && absent.Body.Contains(missing.Detail),
                "absent", absent, $"{missing.StatusCode} {missing.Detail}");
            foreach (var (name, key, failure) in new[] { ("revoked", keys.Revoked, AuthFailure.Invalid), ("garbled", "not-a-key", AuthFailure.Malformed) })
            {
                var refused = style.Refuse(failure);
                var got = await SendAsync(route, key);
                Expect(got.Status == refused.StatusCode && got.Body.Contains(refused.Detail), name, got, $"{refused.StatusCode} {refused.Detail}");
            }

            var readOnly = await SendAsync(route, keys.ReadOnly);
            var readAllowed = access is Access.Any or Access.Read or Access.Listen;
            Expect(readAllowed ? readOnly.Status is not (401 or 403) : readOnly.Status == 403, "read-only", readOnly, readAllowed ? "no refusal" : "403");

            foreach (var (name, key) in new[] { ("other-project", keys.OtherProject), ("other-org", keys.OtherOrg) })
            {
                // Malformed parameters too: whose resource it is comes before what is wrong with the request (no 422 about A's data).
                var got = await SendAsync(route with { Path = route.Path + "?limit=-1&since_ts=x" }, key);
                if (access == Access.ServerAdmin) Expect(got.Status == 403, name, got, "403: only a server key");
                // A list answers 200 with none of A's items (the leak check above): [] for A's project, the caller's own in A's org.
                else if (scoped && isList) Expect(got.Status == 200 && got.Body.StartsWith('['), name, got, "200 and a list");
                else if (scoped) Expect(got.Status == 404, name, got, "404");
                else Expect(got.Status is not (401 or 403 or 500), name, got, "its own project's answer");
            }

            var own = await SendAsync(route, access == Access.ServerAdmin ? TestServer.AdminKey : keys.Own);
            Expect(own.Status is not (401 or 403 or 500), "own", own, "no refusal");
        }
        output.WriteLine($"{tried} requests");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(tried > 300, $"only {tried} requests: the sweep found too few routes");
    }
}

public sealed class SqliteAuthorizationMatrixTests(SqliteServerFixture fixture, ITestOutputHelper output)
    : AuthorizationMatrixTests(fixture, output), IClassFixture<SqliteServerFixture>;

public sealed class PostgresAuthorizationMatrixTests(PostgresServerFixture fixture, ITestOutputHelper output)
    : AuthorizationMatrixTests(fixture, output), IClassFixture<PostgresServerFixture>;
