namespace LoraSdk;

/// <summary>
/// How the frozen base weight of an adapted layer is stored (QLoRA-style quantized base). Adapters (A, B), biases,
/// LayerNorms and <c>modules_to_save</c> always stay in floating point; only the weight of each adapted
/// <c>Linear</c> is quantized. See docs/quantization.md.
/// </summary>
public enum LoraBase
{
    /// <summary>The layer's own floating-point weight (no quantization).</summary>
    Float32,

    /// <summary>int8 with one float32 absmax scale per output channel (row): about a quarter of the float32 bytes.</summary>
    Int8,

    /// <summary>4-bit NormalFloat (QLoRA's 16 NF4 levels), blocks of 64 weights with one float32 absmax each: 0.14× the float32 bytes.</summary>
    Nf4,

    /// <summary>
    /// NF4 with double quantization: the float32 block absmaxes are themselves stored as int8 (blocks of 256, after
    /// subtracting their mean), as QLoRA does: 0.13× the float32 bytes.
    /// </summary>
    Nf4DoubleQuant,
}
