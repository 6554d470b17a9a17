using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Fleetwatch.Auth;
using Fleetwatch.Http;

namespace Fleetwatch.Hosting;

/// <summary>
/// The platform API's request limits (CONTRACTS.md §3), per API key prefix, else per client IP, per tier.
/// Defaults are the original's; each is configurable (<c>RateLimits:TelemetryPerMinute=…</c>), and
/// <c>RateLimits:Enabled=false</c> turns them off (behind a proxy that limits already, or for benchmarks).
/// The other APIs (status, fleet) have no limits: their devices report every minute by design.
/// </summary>
public sealed class RateLimitOptions
{
    [Description("Off: the platform API has no request limits (behind a proxy that limits already, or for benchmarks).")]
    public bool Enabled { get; set; } = true;
    [Description("API keys a caller may create per hour.")]
    public int ApiKeysPerHour { get; set; } = 10;
    [Description("Devices a caller may register per hour through the platform API.")]
    public int DevicesPerHour { get; set; } = 100;
    [Description("Telemetry requests per minute per caller on the platform API.")]
    public int TelemetryPerMinute { get; set; } = 1000;
    [Description("Telemetry requests per hour per caller on the platform API.")]
    public int TelemetryPerHour { get; set; } = 10000;
}

public static class RateLimits
{
    public const string ApiKeys = "api-keys", Devices = "devices", Telemetry = "telemetry";

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("RateLimits").Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(ApiKeys, http => Partition(http, options.Enabled, (options.ApiKeysPerHour, TimeSpan.FromHours(1))));
            limiter.AddPolicy(Devices, http => Partition(http, options.Enabled, (options.DevicesPerHour, TimeSpan.FromHours(1))));
            limiter.AddPolicy(Telemetry, http => Partition(http, options.Enabled,
                (options.TelemetryPerMinute, TimeSpan.FromMinutes(1)), (options.TelemetryPerHour, TimeSpan.FromHours(1))));
            limiter.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                context.Lease.TryGetMetadata(MetadataName.ReasonPhrase, out var limit);
                await Problems.Of(StatusCodes.Status429TooManyRequests, limit ?? "Too many requests").ExecuteAsync(http);
            };
        });
        return builder;
    }

    private static RateLimitPartition<string> Partition(HttpContext http, bool enabled, params (int Permits, TimeSpan Window)[] windows)
    {
        if (!enabled) return RateLimitPartition.GetNoLimiter("off");
        return RateLimitPartition.Get(ClientOf(http), _ => windows.Length == 1
            ? Window(windows[0].Permits, windows[0].Window)
            : RateLimiter.CreateChained([.. windows.Select(w => Window(w.Permits, w.Window))]));
    }

    private static RateLimiter Window(int permits, TimeSpan window) => new DescribedLimiter(
        new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = window, QueueLimit = 0 }),
        $"{permits} per 1 {(window == TimeSpan.FromHours(1) ? "hour" : "minute")}");

    /// <summary>The key's prefix (never the secret) when a key is sent, else the client address.</summary>
    private static string ClientOf(HttpContext http)
    {
        var key = http.Request.Headers[ApiKeyAuthenticationHandler.HeaderName].ToString();
        var dot = key.IndexOf('.');
        return dot == Auth.ApiKeys.PrefixLength ? "key:" + key[..dot] : "ip:" + (http.Connection.RemoteIpAddress ?? IPAddress.None);
    }

    /// <summary>Adds the limit's wording ("10 per 1 hour") to a rejected lease, for the 429's detail.</summary>
    private sealed class DescribedLimiter(RateLimiter inner, string description) : RateLimiter
    {
        public override TimeSpan? IdleDuration => inner.IdleDuration;
        public override RateLimiterStatistics? GetStatistics() => inner.GetStatistics();
        protected override RateLimitLease AttemptAcquireCore(int permitCount) => Describe(inner.AttemptAcquire(permitCount));
        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            Describe(await inner.AcquireAsync(permitCount, cancellationToken));
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        private RateLimitLease Describe(RateLimitLease lease) => lease.IsAcquired ? lease : new DescribedLease(lease, description);
    }

    private sealed class DescribedLease(RateLimitLease inner, string description) : RateLimitLease
    {
        public override bool IsAcquired => inner.IsAcquired;
        public override IEnumerable<string> MetadataNames => [.. inner.MetadataNames, MetadataName.ReasonPhrase.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (metadataName == MetadataName.ReasonPhrase.Name)
            {
                metadata = description;
                return true;
            }
            return inner.TryGetMetadata(metadataName, out metadata);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
