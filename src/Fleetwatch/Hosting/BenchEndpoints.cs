using Fleetwatch.Http;

namespace Fleetwatch.Hosting;

/// <summary>
/// <c>POST /bench/noop</c>, mapped only with <c>--Bench:NoopEndpoint true</c>: reads the body and answers 204, so
/// the benchmark can measure this machine's HTTP ceiling through the same server, pipeline and middleware; and
/// <c>GET /bench/heap</c>: the managed heap's live bytes after a full collection, so it can measure memory per device.
/// </summary>
public static class BenchEndpoints
{
    public static void MapBenchEndpoints(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>("Bench:NoopEndpoint")) return;
        app.MapPost("/bench/noop", async (HttpRequest request) =>
        {
            var (body, problem) = await JsonBody.ReadAsync(request, 16 * 1024);
            if (problem is not null) return problem;
            body.Dispose();
            return Results.NoContent();
        }).ExcludeFromDescription();
        app.MapGet("/bench/heap", () =>
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            return Results.Text(GC.GetTotalMemory(forceFullCollection: true).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }).ExcludeFromDescription();
    }
}
