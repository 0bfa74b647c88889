using LoraSdk.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace LoraSdk.Hosting;

/// <summary>Registers a fine-tuning job in a generic host.</summary>
public static class LoraFineTuningServiceCollectionExtensions
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>
    /// Adds a hosted service that fine-tunes the model <paramref name="createModel"/> builds, with options bound
    /// from the <c>LoRA</c> configuration section and validated at start-up. Run the host with
    /// <see cref="LoraHostExtensions.RunLoraFineTuningAsync"/> to get the exit code and the adapter path.
    /// </summary>
    public static IServiceCollection AddLoraFineTuning<TModel>(this IServiceCollection services,
        Func<LoraModelContext, TModel> createModel, LoraTask task = LoraTask.CausalLanguageModeling)
        where TModel : nn.Module, ILoraTrainableModel
    {
        ArgumentNullException.ThrowIfNull(createModel);
        LoraFineTuningOptions.Register(services).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LoraFineTuningOptions>, LoraFineTuningOptionsValidator>();
        services.AddSingleton(new LoraFineTuningRegistration(task, context => createModel(context), typeof(TModel).Name));
        services.AddSingleton<FineTuningOutcome>();
        services.AddHostedService<LoraFineTuningService>();

        // The job decides when the host stops; the lifetime's own start/stop messages would only add noise.
        services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        // The host logs a start-up failure with its stack trace before RunLoraFineTuningAsync reports it as one
        // line (bad options are the user's to fix; a bug's trace goes to the Debug log there). Its own warnings stay.
        services.AddLogging(logging => logging.AddFilter(HostCategory, level => level == LogLevel.Warning));
        // Leave time to finish the current step and write the checkpoint after Ctrl+C / SIGTERM.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5));
        // One line per log entry. Naming the formatter matters: without a name the provider rebuilds the
        // simple formatter's options from its deprecated settings and SingleLine is lost.
        services.Configure<ConsoleLoggerOptions>(o => o.FormatterName ??= ConsoleFormatterNames.Simple);
        services.Configure<SimpleConsoleFormatterOptions>(o => o.SingleLine = true);
        return services;
    }
}
