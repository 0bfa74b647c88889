using Microsoft.Extensions.DependencyInjection;

namespace LoraSdk.Serving;

/// <summary>Registers LoRA serving: <c>builder.Services.AddLoraServing(o => …)</c>, then <c>app.MapLoraEndpoints()</c>.</summary>
public static class LoraServingServiceCollectionExtensions
{
    /// <summary>Adds the server (model, adapter store, batcher) as a hosted service that starts with the host and drains on stop.</summary>
    public static IServiceCollection AddLoraServing(this IServiceCollection services, Action<LoraServingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new LoraServingOptions();
        configure(options);
        options.Validate();
        services.AddMetrics();
        services.AddSingleton(options);
        services.AddSingleton<LoraServer>();
        services.AddHostedService(sp => sp.GetRequiredService<LoraServer>());
        return services;
    }
}
