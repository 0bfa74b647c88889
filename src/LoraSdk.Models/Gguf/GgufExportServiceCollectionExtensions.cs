using LoraSdk.Hosting;
using LoraSdk.Models.Gguf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LoraSdk.Models;

/// <summary>Registers LoraSdk.Models' adapter exports with the fine-tuning host.</summary>
public static class GgufExportServiceCollectionExtensions
{
    /// <summary>
    /// Lets <c>LoRA:Gguf=true</c> (the build item's <c>Gguf="true"</c>) write, for a <see cref="CausalLM"/>, the GGUF LoRA
    /// adapter, the base model as GGUF and an Ollama <c>Modelfile</c> into the adapter folder after the PEFT adapter
    /// (docs/models.md, "GGUF"). Call it beside <c>AddLoraFineTuning</c>; calling it twice registers it once.
    /// </summary>
    public static IServiceCollection AddLoraGgufExport(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoraAdapterExporter, CausalLMGgufExporter>());
        return services;
    }
}
