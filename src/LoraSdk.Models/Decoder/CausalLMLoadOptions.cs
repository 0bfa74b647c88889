using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>How <see cref="CausalLM.Load"/> (or the <see cref="CausalLM"/> constructor) builds the model and its adapters.</summary>
public sealed record CausalLMLoadOptions
{
    /// <summary>Every projection that can carry an adapter, by PEFT's name.</summary>
    public static readonly IReadOnlyList<string> AllTargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>PEFT's <c>target_modules</c>: which projections get adapters (default q_proj, v_proj, PEFT's default for these models).</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];

    /// <summary>LoRA rank r (PEFT's default 8).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>lora_alpha (PEFT's default 8).</summary>
    public double Alpha { get; init; } = 8;

    /// <summary>lora_dropout (default 0).</summary>
    public double Dropout { get; init; }

    /// <summary>
    /// How the seven projections' frozen weights are stored (<see cref="LoraBase"/>), adapted or not (QLoRA's recipe):
    /// quantized layer by layer while loading, so the float weights of the whole model never exist at once. Embeddings,
    /// norms and lm_head stay in <see cref="DType"/>.
    /// </summary>
    public LoraBase Base { get; init; } = LoraBase.Float32;

    /// <summary>The model's floating-point type (default float32); file tensors (F32/F16/BF16) are converted to it.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>The override that builds adapters on exactly <see cref="TargetModules"/> with these options.</summary>
    internal LoraOptionsOverride Override()
    {
        var unknown = TargetModules.Where(t => !AllTargetModules.Contains(t)).ToList();
        if (unknown.Count > 0 || TargetModules.Count == 0)
            throw new ArgumentException(
                $"TargetModules {(unknown.Count > 0 ? $"names {string.Join(", ", unknown)}, which are not" : "is empty; it names")} projections of these models ({string.Join(", ", AllTargetModules)}).",
                nameof(TargetModules));
        if (DType is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"DType {DType} is not a floating-point type LoraSdk computes in (Float32, Float64, Float16, BFloat16).", nameof(DType));
        return new LoraOptionsOverride { Rank = Rank, Alpha = Alpha, Dropout = Dropout, Targets = TargetModules.ToHashSet(StringComparer.Ordinal) };
    }
}
