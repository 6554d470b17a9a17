using Fleetwatch.Auth;

namespace Fleetwatch.Webhooks;

public static class WebhooksSetup
{
    /// <summary>Delivery of alerts from the outbox, and the scope step's webhook and delivery resolvers.</summary>
    public static WebApplicationBuilder AddWebhooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration("Webhooks");
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(s => s.GetRequiredService<WebhookDispatcher>());
        builder.Services.AddSingleton<IScopeResolver, WebhookResolver>();
        builder.Services.AddSingleton<IScopeResolver, DeliveryResolver>();
        return builder;
    }
}
