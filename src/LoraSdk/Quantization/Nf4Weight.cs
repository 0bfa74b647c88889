using static TorchSharp.torch;

namespace LoraSdk.Quantization;

/// <summary>
/// 4-bit NormalFloat weights (QLoRA): the row-major weight is cut into blocks of <see cref="BlockSize"/>, each block
/// divided by its absmax and every value replaced by the nearest of the 16 <see cref="Nf4Levels"/>; two 4-bit level
/// indices per byte (the first in the high nibble). The last block is zero-padded. With double quantization the
/// float32 absmaxes are stored as int8 in blocks of <see cref="ScaleBlockSize"/> after subtracting their mean
/// (QLoRA uses an 8-bit dynamic map there; a linear int8 absmax code is used here: its error is measured in the tests).
/// </summary>
public sealed class Nf4Weight : QuantizedWeight
{
    public const int BlockSize = 64;
    public const int ScaleBlockSize = 256;

    private const string Data = "weight_nf4";
    private const string Absmax = "absmax";
    private const string AbsmaxCode = "absmax_int8";
    private const string AbsmaxScale = "absmax_scale";
    private const string AbsmaxMean = "absmax_mean";

    private readonly bool _doubleQuant;

    internal Nf4Weight(Tensor weight, bool doubleQuant) : base(nameof(Nf4Weight), weight.shape[0], weight.shape[1])
    {
        _doubleQuant = doubleQuant;
        using var scope = NewDisposeScope();
        long count = weight.numel();
        long blocks = (count + BlockSize - 1) / BlockSize;
        var flat = weight.to(float32).reshape(-1);
        if (blocks * BlockSize != count) flat = nn.functional.pad(flat, [0, blocks * BlockSize - count]);
        var w = flat.view(blocks, BlockSize);
        var absmax = w.abs().amax([1]);
        if (doubleQuant) absmax = StoreDoubleQuantized(absmax);
        else register_buffer(Absmax, absmax.contiguous().DetachFromDisposeScope());

        // Normalised by the absmax the dequantization will use (after double quantization, the decoded one).
        var safe = absmax.where(absmax > 0, ones_like(absmax)).unsqueeze(1);
        var normalised = w.div(safe);
        var index = bucketize(normalised, Nf4Levels.Midpoints(float32)).to(uint8).view(-1, 2);
        var packed = index.select(1, 0).mul(16).add_(index.select(1, 1)); // high nibble first
        register_buffer(Data, packed.contiguous().DetachFromDisposeScope());
    }

    public override LoraBase Kind => _doubleQuant ? LoraBase.Nf4DoubleQuant : LoraBase.Nf4;

    public override Tensor Dequantize(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var absmax = _doubleQuant ? DecodeAbsmax() : Buffer(Absmax);
        var codes = Buffer(Data).to(int32); // index_select takes int32 indices: half the temporary of int64
        var values = Nf4Levels.PairTable(dtype).index_select(0, codes).view(-1, BlockSize);
        values.mul_(absmax.to(dtype).unsqueeze(1));
        var flat = values.view(-1);
        long count = OutFeatures * InFeatures;
        var result = flat.shape[0] == count ? flat.view(OutFeatures, InFeatures) : flat.narrow(0, 0, count).view(OutFeatures, InFeatures).contiguous();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Stores the block absmaxes as int8 codes (mean removed, one scale per 256) and returns the decoded values.</summary>
    private Tensor StoreDoubleQuantized(Tensor absmax)
    {
        long count = absmax.shape[0];
        long groups = (count + ScaleBlockSize - 1) / ScaleBlockSize;
        var mean = absmax.mean();
        var centred = absmax - mean;
        if (groups * ScaleBlockSize != count) centred = nn.functional.pad(centred, [0, groups * ScaleBlockSize - count]);
        var grouped = centred.view(groups, ScaleBlockSize);
        var scale = grouped.abs().amax([1], keepdim: true).div_(127);
        var safe = scale.where(scale > 0, ones_like(scale));
        var code = grouped.div(safe).round_().clamp_(-127, 127).to(int8);
        register_buffer(AbsmaxCode, code.view(-1).narrow(0, 0, count).contiguous().DetachFromDisposeScope());
        register_buffer(AbsmaxScale, scale.view(-1).contiguous().DetachFromDisposeScope());
        register_buffer(AbsmaxMean, mean.reshape(1).contiguous().DetachFromDisposeScope());
        return DecodeAbsmax();
    }

    /// <summary>absmax = code · scale of its group + mean (float32).</summary>
    private Tensor DecodeAbsmax()
    {
        var code = Buffer(AbsmaxCode);
        long count = code.shape[0];
        var scale = Buffer(AbsmaxScale).to(float32).repeat_interleave(ScaleBlockSize).narrow(0, 0, count);
        return code.to(float32).mul_(scale).add_(Buffer(AbsmaxMean).to(float32));
    }
}
