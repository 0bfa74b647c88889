using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LoraSdk.Models;

/// <summary>
/// The <c>Chat</c> configuration section of a chat fine-tune (<see cref="ChatFineTuningServiceCollectionExtensions.AddLoraChatFineTuning"/>):
/// what the <c>LoRA</c> section has no key for. Data files, <c>MaxLength</c>, rank, alpha, dropout and every trainer
/// setting stay in the <c>LoRA</c> section.
/// </summary>
public sealed record ChatFineTuningOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Chat";

    /// <summary>PEFT's <c>target_modules</c> (of <see cref="CausalLMLoadOptions.AllTargetModules"/>); empty means PEFT's default, q_proj and v_proj.</summary>
    public string[] TargetModules { get; set; } = [];

    /// <summary>Packs short training conversations into rows of up to <c>LoRA:MaxLength</c> tokens (<see cref="ChatDataOptions.Pack"/>).</summary>
    public bool Pack { get; set; }

    /// <summary>What happens to a conversation longer than <c>LoRA:MaxLength</c> tokens (<see cref="ChatDataOptions.Overflow"/>).</summary>
    public ChatOverflow Overflow { get; set; } = ChatOverflow.TruncateLeft;

    /// <summary>How many validation prompts are answered at each evaluation (printed and written to samples.jsonl in the adapter folder).</summary>
    public int Samples { get; set; } = 3;

    /// <summary>The longest answer generated, in tokens (samples, and the template's <c>chat</c> command).</summary>
    public int MaxNewTokens { get; set; } = 64;

    /// <summary>Recomputes each decoder layer in backward (<see cref="CausalLM.GradientCheckpointing"/>): less memory, about a third more compute.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>The target modules in effect: <see cref="TargetModules"/>, or q_proj and v_proj when it is empty.</summary>
    public IReadOnlyList<string> EffectiveTargetModules => TargetModules.Length > 0 ? TargetModules : new CausalLMLoadOptions().TargetModules;

    /// <summary>Binds the section and checks it at start-up (failures read <c>Chat:Key = value: problem</c>).</summary>
    internal static void Register(IServiceCollection services)
    {
        services.AddOptions<ChatFineTuningOptions>().BindConfiguration(SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatFineTuningOptions>, Validator>();
    }

    private sealed class Validator : IValidateOptions<ChatFineTuningOptions>
    {
        public ValidateOptionsResult Validate(string? name, ChatFineTuningOptions options)
        {
            var failures = new List<string>();
            var unknown = options.TargetModules.Where(t => !CausalLMLoadOptions.AllTargetModules.Contains(t)).ToList();
            if (unknown.Count > 0)
                failures.Add($"{SectionName}:{nameof(TargetModules)} = {string.Join(",", options.TargetModules)}: {string.Join(", ", unknown)} is no projection of these models (known: {string.Join(", ", CausalLMLoadOptions.AllTargetModules)}).");
            if (options.Samples < 0) failures.Add($"{SectionName}:{nameof(Samples)} = {options.Samples}: must be 0 or more.");
            if (options.MaxNewTokens < 1) failures.Add($"{SectionName}:{nameof(MaxNewTokens)} = {options.MaxNewTokens}: must be at least 1.");
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
