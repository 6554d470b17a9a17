using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Webhooks;

/// <summary>Alerts delivered to real HTTP receivers: signed, retried, behind a circuit breaker, and surviving a restart.</summary>
public abstract class WebhookTests(DatabaseBackend backend)
{
    private static readonly string[] FastRetries =
        ["--Webhooks:PollMilliseconds", "100", "--Webhooks:BaseDelaySeconds", "0.1", "--Webhooks:MaxDelaySeconds", "0.3", "--Webhooks:BreakerOpenSeconds", "0.5"];

    private static async Task<Tenant> AlertingTenantAsync(TestServer server, string webhookUrl, string? secret)
    {
        var tenant = await Tenant.CreateAsync(server);
        await tenant.AddDeviceAsync(server, "boiler");
        var hook = await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/webhooks", new { url = webhookUrl, secret }, tenant.Key);
        Assert.Equal(HttpStatusCode.Created, hook.StatusCode);
        await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "hot", metric = "temperature", threshold = 80, cooldown_seconds = 0 }, tenant.Key);
        return tenant;
    }

    private static Task<HttpResponseMessage> BreachAsync(TestServer server, Tenant tenant, double value = 90) =>
        server.Client.PostJsonAsync("/telemetry", new { device_external_id = "boiler", events = new[] { new { ts = DateTime.UtcNow.ToString("O"), data = new { temperature = value } } } }, tenant.Key);

    [Fact]
    public async Task ATestRequest_IsSentSignedNow_AndSaysWhatTheReceiverAnswered_WithoutADelivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), FastRetries);
        var tenant = await Tenant.CreateAsync(server);
        var hook = (await (await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/webhooks", new { url = receiver.Url, secret = "t3st" }, tenant.Key)).ReadJsonAsync()).Long("id");

        var answer = await (await server.Client.PostJsonAsync($"/webhooks/{hook}/test", new { }, tenant.Key)).ReadJsonAsync();
        Assert.True(answer.GetProperty("delivered").GetBoolean());
        Assert.Equal(200, answer.Int("status_code"));
        var received = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("test", received.Headers["X-Telemetry-Delivery"]);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("t3st"), Encoding.UTF8.GetBytes(received.Headers["X-Telemetry-Timestamp"] + "." + received.Body)));
        Assert.Equal(expected, received.Headers["X-Telemetry-Signature"]);
        var body = JsonDocument.Parse(received.Body).RootElement;
        Assert.Equal(["event", "project_id", "sent_at", "webhook_id"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(hook, body.Long("webhook_id"));
        Assert.Equal(0, (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/webhook-deliveries", tenant.Key)).ReadJsonAsync()).GetArrayLength());

        // A receiver that is not there: not delivered, and why; a read key may not send one.
        var closed = ServerProcess.FreePort();
        var gone = (await (await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/webhooks", new { url = $"http://127.0.0.1:{closed}/hook" }, tenant.Key)).ReadJsonAsync()).Long("id");
        var failed = await (await server.Client.PostJsonAsync($"/webhooks/{gone}/test", new { }, tenant.Key)).ReadJsonAsync();
        Assert.False(failed.GetProperty("delivered").GetBoolean());
        Assert.Equal("connection_error", failed.Str("error"));
        var reader = await server.NewKeyAsync(tenant.ProjectId, Fleetwatch.Auth.KeyRole.Read);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Client.PostJsonAsync($"/webhooks/{hook}/test", new { }, reader)).StatusCode);
    }

    [Fact]
    public async Task AnAlert_IsDeliveredSigned_WithSortedKeys_AndLogged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), FastRetries);
        var tenant = await AlertingTenantAsync(server, receiver.Url, "s3cret");
        var listed = await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/webhooks", tenant.Key)).Content.ReadAsStringAsync();
        Assert.DoesNotContain("s3cret", listed);

        await BreachAsync(server, tenant);
        var received = Assert.Single(await receiver.WaitForAsync(1));
        var timestamp = received.Headers["X-Telemetry-Timestamp"];
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("s3cret"), Encoding.UTF8.GetBytes(timestamp + "." + received.Body)));
        Assert.Equal(expected, received.Headers["X-Telemetry-Signature"]);
        var body = JsonDocument.Parse(received.Body).RootElement;
        Assert.Equal(["alert_id", "details", "device_id", "rule_id", "triggered_at"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["evaluation", "rule"], body.GetProperty("details").EnumerateObject().Select(p => p.Name));
        Assert.Equal(90, body.GetProperty("details").GetProperty("evaluation").GetProperty("latest_value").GetDouble());

        JsonElement delivery = default;
        for (var i = 0; i < 100; i++)
        {
            delivery = (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/webhook-deliveries", tenant.Key)).ReadJsonAsync())[0];
            if (delivery.Str("status") == "success") break;
            await Task.Delay(50);
        }
        Assert.Equal("success", delivery.Str("status"));
        Assert.Equal(1, delivery.Int("attempts"));
        Assert.Equal(200, delivery.Int("last_status_code"));
        Assert.Equal(body.Long("alert_id"), delivery.Long("alert_id"));

        // A disabled webhook gets no new deliveries.
        var webhookId = delivery.Long("webhook_id");
        Assert.False((await (await server.Client.PostJsonAsync($"/webhooks/{webhookId}/disable", new { }, tenant.Key)).ReadJsonAsync()).Bool("enabled"));
        await BreachAsync(server, tenant, 95);
        await Task.Delay(800);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task TheBody_IsPythonsJsonDumpsByteForByte_AndTheSignatureCoversThoseBytes()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), FastRetries);
        var tenant = await Tenant.CreateAsync(server);
        var deviceId = await tenant.AddDeviceAsync(server, "oven");
        await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/webhooks", new { url = receiver.Url, secret = "k" }, tenant.Key);
        const string name = "Température > 30 <hot> & 'x' +1 \"q\" \\ 🔥\t/";
        var rule = await (await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules",
            new { name, metric = "temperature", @operator = ">", threshold = 30, cooldown_seconds = 0 }, tenant.Key)).ReadJsonAsync();
        await server.Client.PostJsonAsync("/telemetry", new { device_external_id = "oven", events = new[] { new { ts = "2025-01-01T00:00:00Z", data = new { temperature = 31.5 } } } }, tenant.Key);

        var received = Assert.Single(await receiver.WaitForAsync(1));
        var alertId = JsonDocument.Parse(received.Body).RootElement.Long("alert_id");
        var triggeredAt = JsonDocument.Parse(received.Body).RootElement.Str("triggered_at");
        // What CPython 3.11's json.dumps(body, sort_keys=True, separators=(",", ":")) printed for this alert, ids filled in.
        var expected = $$$"""{"alert_id":{{{alertId}}},"details":{"evaluation":{"considered":1,"device_id":{{{deviceId}}},"latest_ts":"2025-01-01T00:00:00Z","latest_value":31.5,"match_count":1},"rule":{"cooldown_seconds":0,"id":{{{rule.Long("id")}}},"metric":"temperature","name":"Temp\u00e9rature > 30 <hot> & 'x' +1 \"q\" \\ \ud83d\udd25\t/","operator":">","required_k":1,"scope":"ALL","severity":"warning","tag":null,"threshold":30.0,"window_n":1}},"device_id":{{{deviceId}}},"rule_id":{{{rule.Long("id")}}},"triggered_at":"{{{triggeredAt}}}"}""";
        Assert.Equal(expected, received.Body);
        var signed = Encoding.ASCII.GetBytes(received.Headers["X-Telemetry-Timestamp"] + "." + expected);
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData("k"u8, signed)), received.Headers["X-Telemetry-Signature"]);
    }

    [Fact]
    public async Task AFailingReceiver_IsRetried_UntilItRecovers_WithOneDeliveryId()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 2);
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), FastRetries);
        var tenant = await AlertingTenantAsync(server, receiver.Url, null);
        await BreachAsync(server, tenant);

        var received = await receiver.WaitForAsync(3);
        Assert.Equal(3, received.Length);
        Assert.Single(received.Select(r => r.Headers["X-Telemetry-Delivery"]).Distinct());
        Assert.DoesNotContain(received, r => r.Headers.ContainsKey("X-Telemetry-Signature"));
        JsonElement delivery = default;
        for (var i = 0; i < 100 && delivery.ValueKind == JsonValueKind.Undefined | (delivery.ValueKind != JsonValueKind.Undefined && delivery.Str("status") != "success"); i++)
        {
            delivery = (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/webhook-deliveries", tenant.Key)).ReadJsonAsync())[0];
            await Task.Delay(50);
        }
        Assert.Equal("success", delivery.Str("status"));
        Assert.Equal(3, delivery.Int("attempts"));
        var attempts = await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/webhook-deliveries/{delivery.Long("id")}/attempts", tenant.Key)).ReadJsonAsync();
        Assert.Equal(["retrying", "retrying", "success"], attempts.EnumerateArray().Select(a => a.Str("outcome")));
        Assert.Equal([503, 503, 200], attempts.EnumerateArray().Select(a => a.Int("status_code")));
    }

    [Fact]
    public async Task ASlowReceiver_TimesOut_WithoutHoldingUpAnotherEndpoint()
    {
        await using var slow = await WebhookReceiver.StartAsync(delayMs: 8000);
        await using var fast = await WebhookReceiver.StartAsync();
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), FastRetries);
        var tenant = await AlertingTenantAsync(server, slow.Url, null);
        await server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/webhooks", new { url = fast.Url }, tenant.Key);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await BreachAsync(server, tenant);
        Assert.Single(await fast.WaitForAsync(1));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the fast endpoint waited {clock.Elapsed}");

        // The slow endpoint's first attempt is cut off by the 5 s timeout and logged as such.
        var slowId = (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/webhooks", tenant.Key)).ReadJsonAsync())
            .EnumerateArray().Single(w => w.Str("url") == slow.Url).Long("id");
        JsonElement timedOut = default;
        for (var i = 0; i < 400 && timedOut.ValueKind == JsonValueKind.Undefined; i++)
        {
            await Task.Delay(50);
            var delivery = (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/webhook-deliveries", tenant.Key)).ReadJsonAsync())
                .EnumerateArray().Single(d => d.Long("webhook_id") == slowId);
            var attempts = await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/webhook-deliveries/{delivery.Long("id")}/attempts", tenant.Key)).ReadJsonAsync();
            timedOut = attempts.EnumerateArray().FirstOrDefault(a => a.GetProperty("error").GetString() == "timeout");
        }
        Assert.NotEqual(JsonValueKind.Undefined, timedOut.ValueKind);
        Assert.InRange(timedOut.Int("latency_ms"), 4000, 8000);
    }

    [Fact]
    public async Task AReceiverThatAlwaysFails_OpensTheCircuit()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: -1);
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync(), [.. FastRetries, "--Webhooks:BreakerFailures", "2", "--Webhooks:BreakerOpenSeconds", "60"]);
        var tenant = await AlertingTenantAsync(server, receiver.Url, null);
        await BreachAsync(server, tenant);
        await receiver.WaitForAsync(2);
        var webhookId = (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/webhooks", tenant.Key)).ReadJsonAsync())[0].Long("id");
        JsonElement status = default;
        for (var i = 0; i < 100; i++)
        {
            status = (await (await server.Client.GetAsync($"/webhooks/{webhookId}/circuit-status", tenant.Key)).ReadJsonAsync()).GetProperty("circuit_breaker");
            if (status.Str("state") == "open") break;
            await Task.Delay(50);
        }
        Assert.Equal("open", status.Str("state"));
        Assert.True(status.Int("failures") >= 2);
        // While open, nothing more is sent.
        var sent = receiver.Requests.Count;
        await Task.Delay(600);
        Assert.Equal(sent, receiver.Requests.Count);
    }

    [Fact]
    public async Task ADeliveryToAReceiverThatIsDown_ArrivesAfterAServerRestart()
    {
        var port = FreePort();
        var database = await backend.CreateDatabaseAsync();
        var url = $"http://127.0.0.1:{port}/hook";
        await using (var server = await TestServer.StartAsync(database, FastRetries))
        {
            var tenant = await AlertingTenantAsync(server, url, null);
            await BreachAsync(server, tenant);
            await Task.Delay(500); // attempts fail: nothing listens yet
        }
        await using var receiver = await WebhookReceiver.StartAsync(port: port);
        await using var again = await TestServer.StartAsync(database, FastRetries);
        var received = await receiver.WaitForAsync(1);
        Assert.Single(received);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class SqliteWebhookTests() : WebhookTests(new SqliteBackend());

public sealed class PostgresWebhookTests() : WebhookTests(new PostgresBackend());
