using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using MQTTnet.AspNetCore;

namespace Fleetwatch.Mqtt;

public static partial class MqttSetup
{
    /// <summary>With <c>Mqtt:Enabled</c>: the broker, hosted in Kestrel — a TCP listener, optionally TLS, and WebSocket on the HTTP port.</summary>
    public static WebApplicationBuilder AddMqtt(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MqttOptions>().BindConfiguration("Mqtt")
            .Validate(o => o.Port is >= 0 and <= 65535 && o.TlsPort is >= 0 and <= 65535, "Mqtt:Port and Mqtt:TlsPort must be 0 to 65535")
            .Validate(o => o.MaxPayloadBytes is >= 1 and <= 64 * 1024 * 1024, "Mqtt:MaxPayloadBytes must be 1 to 67108864")
            .Validate(o => o.MaxInFlight is >= 1 and <= ushort.MaxValue, "Mqtt:MaxInFlight must be 1 to 65535")
            .Validate(o => o.MaxPublishesPerSecond >= 1, "Mqtt:MaxPublishesPerSecond must be at least 1")
            .ValidateOnStart();
        var options = builder.Configuration.GetSection("Mqtt").Get<MqttOptions>() ?? new MqttOptions();
        if (!options.Enabled) return builder;

        builder.Services.AddSingleton<MqttIngest>();
        // No listener of MQTTnet's own: Kestrel's connections are handed to the broker.
        builder.Services.AddHostedMqttServer(o => o.WithoutDefaultEndpoint()).AddMqttConnectionHandler().AddConnections();
        var urls = builder.Configuration.GetSection("Kestrel:Endpoints").Exists() ? null : builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // A listener set in code makes Kestrel ignore the URLs it was given: bind those first, as they were.
            foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) ListenOnUrl(kestrel, url);
            Listen(kestrel, options.Host, options.Port, listener => listener.UseMqtt());
            if (options.TlsPort != 0) Listen(kestrel, options.Host, options.TlsPort, listener => listener.UseHttps().UseMqtt());
        });
        return builder;
    }

    /// <summary>Attaches the ingest hooks to the broker and maps MQTT over WebSocket.</summary>
    public static WebApplication MapMqtt(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MqttOptions>>().Value;
        if (!options.Enabled) return app;
        var ingest = app.Services.GetRequiredService<MqttIngest>();
        app.UseMqttServer(ingest.Attach);
        if (options.WebSocketPath.Length > 0) EndpointRouterExtensions.MapMqtt(app, options.WebSocketPath);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleetwatch.Mqtt");
        Log.Listening(logger, options.Host, options.Port, options.TlsPort == 0 ? "none" : options.TlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            options.WebSocketPath.Length > 0 ? options.WebSocketPath : "none");
        return app;
    }

    private static void ListenOnUrl(KestrelServerOptions kestrel, string url)
    {
        var uri = new Uri(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal));
        var port = uri.IsDefaultPort ? (uri.Scheme == "https" ? 443 : 80) : uri.Port;
        Listen(kestrel, uri.Host, port, listener =>
        {
            if (uri.Scheme == "https") listener.UseHttps();
        });
    }

    private static void Listen(KestrelServerOptions kestrel, string host, int port, Action<ListenOptions> configure)
    {
        if (host is "*" or "0.0.0.0" or "[::]") kestrel.ListenAnyIP(port, configure);
        else if (host == "localhost") kestrel.ListenLocalhost(port, configure);
        else kestrel.Listen(IPAddress.Parse(host.Trim('[', ']')), port, configure);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.MqttListening, Level = LogLevel.Information,
            Message = "MQTT: TCP on {Host}:{Port}, TLS port {TlsPort}, WebSocket path {Path}; acknowledgements are sent once committed")]
        public static partial void Listening(ILogger logger, string host, int port, string tlsPort, string path);
    }
}
