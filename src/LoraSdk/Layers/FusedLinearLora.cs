using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// The one autograd node of a frozen Linear, y = x·Wᵀ + b + s·(m⊙x)·Aᵀ·Bᵀ (m: the dropout mask, already divided by
/// 1 − p), for either storage of W (<see cref="FrozenWeight"/>) and with or without the factors (without them: a
/// quantized base layer's own forward). Autograd's composite graph for the same formula writes several full-size
/// tensors in backward (the rank-r expansion of the input gradient, its accumulation into the base layer's input
/// gradient, the copy for the in-place update); this node's backward writes the input gradient once (g·W, then a rank-r
/// <c>addmm_</c> into it), takes dA and dB from the saved m⊙x and s·(m⊙x)·Aᵀ, and computes only the gradients whose
/// inputs required one when the forward ran. W comes from the storage: the float parameter is kept for backward; a
/// quantized weight is dequantized for the forward GEMM, freed, and dequantized again in backward
/// (<see cref="FrozenWeight.KeepDenseForBackward"/>), so no float copy of a quantized weight lives from forward to backward.
/// </summary>
internal sealed class FusedLinearLora : autograd.SingleTensorFunction<FusedLinearLora>
{
    public override string Name => nameof(FusedLinearLora);

    /// <summary>
    /// The adapted output, or with <paramref name="loraA"/> and <paramref name="loraB"/> null the frozen layer's own.
    /// Outside autograd (no grad mode, or nothing requires a gradient) it is computed directly; otherwise through the
    /// node. <paramref name="mask"/> is null without dropout. A quantized <paramref name="frozen"/> is dequantized in
    /// the factors' dtype (the input's without factors).
    /// </summary>
    public static Tensor Forward(Tensor input, FrozenWeight frozen, Tensor? bias, Tensor? loraA, Tensor? loraB, double scaling, Tensor? mask)
    {
        using var dense = frozen.Dense(loraA?.dtype ?? input.dtype); // a quantized copy is freed on return: backward asks again
        return Forward(input, dense.Tensor, bias, loraA, loraB, scaling, mask, frozen.KeepDenseForBackward ? null : frozen);
    }

    /// <summary>
    /// The node on a dense <paramref name="weight"/>: kept for backward, unless <paramref name="storage"/> is given, which
    /// backward asks for W again (the storage <paramref name="weight"/> was materialised from).
    /// </summary>
    public static Tensor Forward(Tensor input, Tensor weight, Tensor? bias, Tensor? loraA, Tensor? loraB, double scaling, Tensor? mask,
        FrozenWeight? storage = null)
    {
        bool graph = is_grad_enabled() &&
            (input.requires_grad || weight.requires_grad || (bias?.requires_grad ?? false) || (loraA?.requires_grad ?? false) || (loraB?.requires_grad ?? false));
        if (!graph)
        {
            var result = nn.functional.linear(input, weight, bias);
            if (loraA is null) return result;
            using var dropped = mask is null ? input.alias() : input.mul(mask);
            using var scaledDown = ScaledDown(dropped, loraA, scaling);
            return AddUpdate(result, scaledDown, loraB!);
        }
        var temporaries = new List<Tensor>();
        try
        {
            return apply(input, weight, bias, loraA!, loraB!, mask, scaling, temporaries, storage!);
        }
        finally
        {
            // The node holds its own references to what it saved; the managed handles can go now.
            foreach (var tensor in temporaries) tensor.Dispose();
        }
    }

    /// <summary>
    /// result + s·(m⊙x)·Aᵀ·Bᵀ as a new tensor, through autograd's own operations (for <c>call</c>, where a hook
    /// computed <paramref name="result"/>); the same arithmetic as the in-place update of <c>Forward</c>.
    /// </summary>
    public static Tensor Plus(Tensor result, Tensor input, Tensor loraA, Tensor loraB, double scaling, Tensor? mask)
    {
        using var dropped = mask is null ? input.alias() : input.mul(mask);
        using var scaledDown = ScaledDown(dropped, loraA, scaling);
        using var result2d = result.reshape(-1, result.shape[^1]);
        using var down2d = scaledDown.reshape(-1, scaledDown.shape[^1]);
        using var bT = loraB.t();
        using var sum = result2d.addmm(down2d, bT);
        return sum.view(result.shape);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (input, weight, bias, loraA, loraB, mask) = ((Tensor)vars[0], (Tensor)vars[1], vars[2] as Tensor, vars[3] as Tensor, vars[4] as Tensor, vars[5] as Tensor);
        double scaling = (double)vars[6];
        var temporaries = (List<Tensor>)vars[7];
        var storage = vars[8] as FrozenWeight;

        Tensor? dropped = null, scaledDown = null;
        var output = nn.functional.linear(input, weight, bias);
        if (loraA is not null)
        {
            dropped = mask is null ? input.alias() : input.mul(mask);
            scaledDown = ScaledDown(dropped, loraA, scaling);
            AddUpdate(output, scaledDown, loraB!);
            temporaries.Add(dropped);
            temporaries.Add(scaledDown);
        }
        temporaries.Add(output); // autograd wraps the output in a new handle

        var needs = new Needs(input.requires_grad, weight.requires_grad, bias?.requires_grad ?? false, loraA?.requires_grad ?? false, loraB?.requires_grad ?? false);
        ctx.save_data(nameof(Needs), needs);
        ctx.save_data(nameof(Tensor.shape), input.shape);
        // Only what the needed gradients read: x for dW, m⊙x for dA, s·(m⊙x)·Aᵀ for dB, W / A / B / m for dx.
        ctx.save_for_backward([
            needs.Weight ? input : null,
            needs.LoraA ? dropped : null,
            needs.LoraB ? scaledDown : null,
            needs.Input && storage is null ? weight : null,
            needs.Input || needs.LoraA ? loraB : null,
            needs.Input ? loraA : null,
            needs.Input ? mask : null,
        ]);
        ctx.save_data(nameof(scaling), scaling);
        if (storage is not null) ctx.save_data(nameof(FrozenWeight), storage);
        ctx.save_data(nameof(Tensor.dtype), weight.dtype);
        // An unused output gets no gradient rather than a tensor of zeros: backward then has nothing to do.
        ctx.set_materialize_grads(false);
        return output;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var grads = new List<Tensor>(new Tensor[9]);
        if (gradOutput is null || gradOutput.IsInvalid) return grads;
        var needs = (Needs)ctx.get_data(nameof(Needs));
        var inputShape = (long[])ctx.get_data(nameof(Tensor.shape));
        double scaling = (double)ctx.get_data(nameof(scaling));
        var saved = ctx.get_saved_variables();
        try
        {
            var (input, dropped, scaledDown, weight, loraB, loraA, mask) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], saved[6]);
            long inFeatures = inputShape[^1];
            using var g = gradOutput.reshape(-1, gradOutput.shape[^1]);

            if (needs.LoraB)
            {
                // dB = gᵀ·(s·d), computed as (s·d)ᵀ·g: the orientation whose result is the small (r × out) matrix.
                using var sd = scaledDown.reshape(-1, scaledDown.shape[^1]);
                using var sdT = sd.t();
                using var gradBT = sdT.mm(g);
                using var gradB = gradBT.t();
                grads[4] = gradB.contiguous();
            }
            if (needs.Input || needs.LoraA)
            {
                // dd = s·g·B, (N × r): the gradient of x·Aᵀ (none without factors).
                using var gradDown = loraB is null ? null : g.mm(loraB).mul_(scaling);
                if (needs.LoraA)
                {
                    using var x = dropped.reshape(-1, inFeatures);
                    using var gradDownT = gradDown!.t();
                    grads[3] = gradDownT.mm(x);
                }
                if (needs.Input)
                {
                    using var again = weight is null ? Dense(ctx) : default;
                    grads[0] = InputGradient(g, gradDown, weight ?? again.Tensor, loraA, mask, inputShape);
                }
            }
            if (needs.Weight)
            {
                using var x = input.reshape(-1, inFeatures);
                using var gT = g.t();
                grads[1] = gT.mm(x);
            }
            if (needs.Bias) grads[2] = g.sum(dim: 0);
        }
        finally
        {
            foreach (var tensor in saved) tensor?.Dispose();
        }
        return BackwardHandles.Finish(gradOutput, grads);
    }

    /// <summary>The dense weight materialised again for backward (a quantized base's forward copy was freed).</summary>
    private static DenseWeight Dense(autograd.AutogradContext ctx) =>
        ((FrozenWeight)ctx.get_data(nameof(FrozenWeight))).Dense((ScalarType)ctx.get_data(nameof(Tensor.dtype)));

    /// <summary>dx = g·W + m⊙(dd·A), written once: one GEMM, then the rank-r product added in place (g·W alone without factors).</summary>
    private static Tensor InputGradient(Tensor g, Tensor? gradDown, Tensor weight, Tensor? loraA, Tensor? mask, long[] inputShape)
    {
        if (gradDown is null) return Reshaped(g.mm(weight), inputShape);
        if (mask is null)
        {
            var dx = g.mm(weight);
            dx.addmm_(gradDown, loraA!);
            return Reshaped(dx, inputShape);
        }
        // With dropout the rank-r part is masked first; the big GEMM then accumulates into it (beta = 1).
        var masked = gradDown.mm(loraA!);
        using (var flatMask = mask.reshape(-1, mask.shape[^1])) masked.mul_(flatMask);
        masked.addmm_(g, weight);
        return Reshaped(masked, inputShape);
    }

    private static Tensor Reshaped(Tensor gradient2d, long[] shape)
    {
        if (shape.Length == 2) return gradient2d;
        using (gradient2d) return gradient2d.view(shape);
    }

    /// <summary>s·(m⊙x)·Aᵀ, (…, r): small, so scaling it here costs nothing and keeps float64's exact scaling.</summary>
    private static Tensor ScaledDown(Tensor dropped, Tensor loraA, double scaling)
    {
        var down = nn.functional.linear(dropped, loraA);
        return down.mul_(scaling);
    }

    /// <summary>result += (s·d)·Bᵀ as one in-place GEMM on result's 2-D view (result is the fresh base output).</summary>
    private static Tensor AddUpdate(Tensor result, Tensor scaledDown, Tensor loraB)
    {
        using var result2d = result.view(-1, result.shape[^1]);
        using var down2d = scaledDown.reshape(-1, scaledDown.shape[^1]);
        using var bT = loraB.t();
        result2d.addmm_(down2d, bT);
        return result;
    }

    /// <summary>Which inputs required a gradient when the forward ran.</summary>
    private sealed record Needs(bool Input, bool Weight, bool Bias, bool LoraA, bool LoraB);
}
