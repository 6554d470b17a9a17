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
        builder.Services.AddSingleton<IScopeResolver>(s =>
            new StoredResourceResolver<Webhook>("webhook", s.GetRequiredService<IWebhookStore>().GetWebhookAsync, w => w.ProjectId));
        builder.Services.AddSingleton<IScopeResolver>(s =>
            new StoredResourceResolver<Delivery>("delivery", s.GetRequiredService<IWebhookStore>().GetDeliveryAsync, d => d.ProjectId));
        return builder;
    }
}
