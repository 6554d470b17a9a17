using Fleetwatch.Auth;

namespace Fleetwatch.Rules;

public static class RulesSetup
{
    /// <summary>Rules in memory, their evaluation after each commit, and the scope step's rule and alert resolvers.</summary>
    public static WebApplicationBuilder AddRules(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RuleBook>();
        builder.Services.AddSingleton<RuleEvaluator>();
        builder.Services.AddHostedService(s => s.GetRequiredService<RuleEvaluator>());
        builder.Services.AddSingleton<IScopeResolver>(s => new StoredResourceResolver<Rule>("rule", s.GetRequiredService<IRuleStore>().GetRuleAsync, r => r.ProjectId));
        builder.Services.AddSingleton<IScopeResolver>(s => new StoredResourceResolver<Alert>("alert", s.GetRequiredService<IRuleStore>().GetAlertAsync, a => a.ProjectId));
        return builder;
    }
}
