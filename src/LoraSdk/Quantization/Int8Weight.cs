using static TorchSharp.torch;

namespace LoraSdk.Quantization;

/// <summary>
/// int8 weights with one absmax scale per output channel (PEFT/bitsandbytes' LLM.int8 weight layout without the
/// outlier split): w ≈ q · scale, scale = max|row| / 127, q = round(w / scale). A zero row keeps scale 0.
/// </summary>
public sealed class Int8Weight : QuantizedWeight
{
    private const string Data = "weight_int8";
    private const string Scale = "weight_scale";

    internal Int8Weight(Tensor weight) : base(nameof(Int8Weight), weight.shape[0], weight.shape[1])
    {
        using var scope = NewDisposeScope();
        var w = weight.to(float32);
        var scale = w.abs().amax([1], keepdim: true).div_(127);
        var safe = scale.where(scale > 0, ones_like(scale));
        var q = w.div(safe).round_().clamp_(-127, 127).to(int8);
        register_buffer(Data, q.DetachFromDisposeScope());
        register_buffer(Scale, scale.view(-1).contiguous().DetachFromDisposeScope());
    }

    public override LoraBase Kind => LoraBase.Int8;

    public override Tensor Dequantize(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var scale = Buffer(Scale).to(dtype).unsqueeze(1);
        return Buffer(Data).to(dtype).mul_(scale).MoveToOuterDisposeScope();
    }
}
