using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Quantization;

/// <summary>
/// The quantized form of one frozen Linear weight (out × in). A module holding only buffers, registered under the
/// layer's host adapter (<c>&lt;target&gt;_lora.base_quantized.*</c> in the model's state_dict), so <c>to(device)</c>
/// moves it and a whole-model state saved from a quantized model round-trips into a model quantized the same way.
/// Buffers are read by name on each use: <c>to()</c> replaces them.
/// </summary>
public abstract class QuantizedWeight : nn.Module
{
    protected QuantizedWeight(string name, long outFeatures, long inFeatures) : base(name)
    {
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
    }

    public abstract LoraBase Kind { get; }

    public long OutFeatures { get; }
    public long InFeatures { get; }

    /// <summary>Elements of the float weight this stands for (what parameter counts report).</summary>
    public long LogicalCount => OutFeatures * InFeatures;

    /// <summary>Bytes of every buffer: what the layer's weight occupies now.</summary>
    public long StorageBytes => named_buffers().Sum(b => b.buffer.numel() * b.buffer.ElementSize);

    /// <summary>A fresh (out × in) tensor of the quantized values in <paramref name="dtype"/>; the caller disposes it.</summary>
    public abstract Tensor Dequantize(ScalarType dtype);

    /// <summary>Quantizes <paramref name="weight"/> (out × in, any floating dtype); the weight itself is not changed.</summary>
    public static QuantizedWeight Create(Tensor weight, LoraBase kind)
    {
        using var _ = no_grad();
        return kind switch
        {
            LoraBase.Int8 => new Int8Weight(weight),
            LoraBase.Nf4 => new Nf4Weight(weight, doubleQuant: false),
            LoraBase.Nf4DoubleQuant => new Nf4Weight(weight, doubleQuant: true),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"{kind} is not a quantized base."),
        };
    }

    protected Tensor Buffer(string name) => get_buffer(name) ?? throw new InvalidOperationException($"Quantized weight buffer '{name}' is missing.");
}
