using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleetwatch.Tests.Fixtures;

/// <summary>A real HTTP endpoint on 127.0.0.1 that records what webhooks send, and can fail the first requests.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failuresLeft;

    public sealed record Received(string Body, IReadOnlyDictionary<string, string> Headers);

    private WebhookReceiver(WebApplication app, int failFirst)
    {
        _app = app;
        _failuresLeft = failFirst;
    }

    public ConcurrentQueue<Received> Requests { get; } = new();
    public string Url => _app.Urls.First() + "/hook";

    /// <param name="failFirst">Answer 503 to this many requests first; with a negative value, always 500.</param>
    /// <param name="delayMs">Wait this long before answering each request.</param>
    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0, int port = 0, int delayMs = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, failFirst);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            var body = await new StreamReader(request.Body).ReadToEndAsync();
            if (delayMs > 0) await Task.Delay(delayMs);
            receiver.Requests.Enqueue(new Received(body, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            if (failFirst < 0) return Results.StatusCode(500);
            return Interlocked.Decrement(ref receiver._failuresLeft) >= 0 ? Results.StatusCode(503) : Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    public async Task<Received[]> WaitForAsync(int count, int timeoutMs = 15_000)
    {
        for (var waited = 0; waited < timeoutMs && Requests.Count < count; waited += 50) await Task.Delay(50);
        return [.. Requests];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
