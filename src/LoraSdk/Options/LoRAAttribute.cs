using LoraSdk.Shared;

namespace LoraSdk;

/// <summary>
/// Adds LoRA adapters to a TorchSharp module. On a class: every <c>Linear</c>, <c>Conv2d</c> and
/// <c>Embedding</c> field or auto-property is a target (or only those named in <see cref="Targets"/>).
/// On a field: overrides the class defaults for that field. The class must be <c>partial</c>. The defaults and
/// the rules the generator checks (LORA003, LORA005) are <see cref="LoraOptions"/>'s (src/Shared/LoraOptionRules.cs).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class LoRAAttribute(int rank) : Attribute
{
    /// <summary>The rank r of the update B·A.</summary>
    public int Rank { get; } = rank;

    /// <summary>lora_alpha; the update is scaled by alpha / r (alpha / √r with rsLoRA). Defaults to the rank.</summary>
    public double Alpha { get; set; } = LoraOptionRules.DefaultAlpha(rank);

    /// <summary>Dropout probability on the adapter input, in [0, 1).</summary>
    public double Dropout { get; set; } = LoraOptionRules.DefaultDropout;

    /// <summary>Field names to adapt; empty means every eligible field.</summary>
    public string[] Targets { get; set; } = [];

    /// <summary>Scale by alpha / √r instead of alpha / r.</summary>
    public bool UseRsLoRA { get; set; } = LoraOptionRules.DefaultUseRsLoRA;

    /// <summary>How A and B are initialised.</summary>
    public LoraInit Init { get; set; } = LoraOptions.DefaultInit;

    /// <summary>
    /// DoRA (weight-decomposed LoRA, PEFT's <c>use_dora</c>): the adapted weight is m ⊙ (W + s·B·A) / ‖W + s·B·A‖ with a
    /// trainable magnitude m per output channel. See docs/numerics.md, "DoRA".
    /// </summary>
    public bool UseDoRA { get; set; } = LoraOptionRules.DefaultUseDoRA;

    /// <summary>
    /// How the frozen base weight is stored (QLoRA-style quantized base, Linear targets only): quantized at the layer's
    /// first forward, after pretrained weights were loaded. A field's value wins over the class's. See docs/quantization.md.
    /// </summary>
    public LoraBase Base { get; set; } = LoraBase.Float32;
}
