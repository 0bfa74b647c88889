using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace LoraSdk.Generators.Parsing;

/// <summary>
/// Why a layer type cannot be a LoRA target. A class-level <c>[LoRA]</c> lists the members it leaves out for
/// these reasons (LORA011 and the generated <c>LoraTargets</c> remarks); naming one explicitly is LORA004.
/// </summary>
internal static class UnsupportedLayers
{
    public const string Supported = "LoRA supports Linear, Conv1d, Conv2d and Embedding (and ModuleList<T>/ModuleDict<T> of them)";

    /// <summary>TorchSharp layers with weights that users may expect to be adapted (norms, dropout and activations are not: PEFT leaves them too).</summary>
    private static readonly HashSet<string> WeightLayers = new(StringComparer.Ordinal)
    {
        "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Bilinear", "EmbeddingBag",
        "RNN", "LSTM", "GRU", "Transformer", "TransformerEncoder", "TransformerDecoder",
        "TransformerEncoderLayer", "TransformerDecoderLayer",
    };

    /// <summary>The reason a member of <paramref name="type"/> is not adapted, for any type that is not a supported layer.</summary>
    public static string Reason(ITypeSymbol type, KnownTypes known) =>
        SpecificReason(type, known) ?? $"its type is {Display(type)}; {Supported}";

    /// <summary>
    /// The reason for a weight layer that a class-level <c>[LoRA]</c> skips (reported as LORA011), or null for
    /// a type that is not such a layer (norms, dropout, the user's own modules, plain values).
    /// </summary>
    public static string? SkippedReason(ITypeSymbol type, KnownTypes known)
    {
        if (SpecificReason(type, known) is { } reason) return reason;
        return IsTorchSharpModule(type) && WeightLayers.Contains(type.Name) ? $"its type is {Display(type)}; {Supported}" : null;
    }

    private static string? SpecificReason(ITypeSymbol type, KnownTypes known)
    {
        if (IsTorchSharpModule(type) && type.Name == "MultiheadAttention")
            return "TorchSharp's MultiheadAttention computes with its own projection weights (in_proj_weight, out_proj) " +
                   "without calling a Linear's forward, so no adapter can be routed into it; use Linear query/key/value/output layers to adapt attention";
        if (IsTorchSharpModule(type) && type.Name == "Sequential")
            return "its layers run inside Sequential.forward, where no adapter can be routed; hold them in fields or a ModuleList<T> instead";
        var element = KnownTypes.ElementOf(type, known.ModuleList) ?? KnownTypes.ElementOf(type, known.ModuleDict);
        if (element is not null && known.LayerKindOf(element) is null)
            return $"its elements are {Display(element)}; {Supported}";
        return null;
    }

    private static bool IsTorchSharpModule(ITypeSymbol type) =>
        type.ContainingNamespace?.ToDisplayString() == "TorchSharp.Modules";

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
}
