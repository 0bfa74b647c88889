using LoraSdk.Hosting;
using LoraSdk.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace LoraSdk.Models;

/// <summary>Registers a chat fine-tune of a decoder LLM in a generic host.</summary>
public static class ChatFineTuningServiceCollectionExtensions
{
    /// <summary>
    /// Fine-tunes the HuggingFace decoder in <c>Model:Path</c> (<see cref="ChatModelOptions"/>) on chat JSONL: the
    /// <c>LoRA</c> section's <c>Dataset</c> and <c>ValidationDataset</c> (or <c>ValidationSplit</c>) in the
    /// <c>messages</c> or <c>prompt</c>/<c>completion</c> format, rendered with the folder's chat template, the loss on
    /// assistant tokens only. Everything else is <see cref="LoraFineTuningServiceCollectionExtensions.AddLoraFineTuning{TModel}"/>'s:
    /// the <c>LoRA</c> section (rank, alpha, dropout, <c>MaxLength</c>, every trainer key), validation loss, early
    /// stopping, progress, checkpoints and resume, the PEFT adapter and its loss curve; at each evaluation the validation
    /// perplexity and a few sample answers are printed and written to samples.jsonl in the adapter folder. The
    /// <c>Chat</c> section (<see cref="ChatFineTuningOptions"/>) chooses target modules, packing, overflow and samples.
    /// Unless <c>LoRA:BaseModel</c> is set, the adapter records the model folder as <c>base_model_name_or_path</c>.
    /// Run the host with <see cref="LoraHostExtensions.RunLoraFineTuningAsync"/>.
    /// </summary>
    public static IServiceCollection AddLoraChatFineTuning(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        ChatModelOptions.Register(services);
        ChatFineTuningOptions.Register(services);
        services.AddSingleton<ChatFineTuningTask>();
        services.AddSingleton<ILoraFineTuningTask>(provider => provider.GetRequiredService<ChatFineTuningTask>());
        services.AddLoraFineTuning(context => context.Services.GetRequiredService<ChatFineTuningTask>().CreateModel(context), LoraTask.CausalLanguageModeling);
        // Read from configuration, not IOptions<ChatModelOptions>: a bad Model:Path is reported once, by its own validation.
        services.AddOptions<LoraFineTuningOptions>().PostConfigure<IConfiguration, IHostEnvironment>((options, configuration, environment) =>
            options.BaseModel ??= configuration.GetSection(ChatModelOptions.SectionName).Get<ChatModelOptions>()?.Resolve(environment.ContentRootPath).Folder);
        return services;
    }
}
