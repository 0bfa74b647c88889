using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// DoRA (weight-decomposed LoRA, PEFT's <c>use_dora</c>): the layer computes with W' = m ⊙ (W + s·B·A) / ‖W + s·B·A‖,
/// the norm taken per output channel (over the input dimension of a Linear, over input channels and kernel of a
/// convolution, over the vocabulary of an embedding table) and detached from autograd as PEFT does (DoRA paper, 4.3),
/// m a trainable magnitude per output channel (PEFT's <c>lora_magnitude_vector</c>, stored in PEFT's shape). Each
/// layer kind supplies its frozen operation without bias and the shapes; the arithmetic is here, once.
/// <para>
/// m starts as ‖W + s·B·A‖ (= ‖W‖ with B = 0), so the layer starts as the base layer. Adapters are created with the
/// model, usually before pretrained weights are loaded, so the value computed then is provisional: at the adapter's
/// first forward, merge or save it is computed again from the weight in force, unless m was written meanwhile
/// (a loaded adapter file, a restored checkpoint): then the written value stays. <c>ResetLoRA()</c> recomputes it.
/// </para>
/// </summary>
public abstract partial class LoraAdapter
{
    /// <summary>PEFT's name of the DoRA magnitude vector (file key <c>base_model.model.&lt;path&gt;.lora_magnitude_vector</c>).</summary>
    public const string MagnitudeName = "lora_magnitude_vector";

    // m as computed when the adapter was created or reset, until the first forward, merge or save re-derives it from the
    // weight then in force (see the class remarks); null once settled.
    private Tensor? _provisionalMagnitude;

    // ‖W + s·B·A‖ at merge: unmerge divides by the same factor (the merged weight's own norm is another value). PEFT caches it too.
    private Tensor? _normAtMerge;

    /// <summary>The trainable DoRA magnitude m (PEFT's <c>lora_magnitude_vector</c>), or null for a plain LoRA adapter.</summary>
    public Tensor? Magnitude => Options.UseDoRA ? get_parameter(MagnitudeName) : null;

    /// <summary>The shape PEFT stores m in: (out) for Linear, (dim) for Embedding, (1, out, 1, …) for a convolution.</summary>
    private protected virtual long[] MagnitudeShape => [OutFeatures];

    /// <summary>The shape that broadcasts a per-channel vector over <see cref="BaseWeight"/>: (out, 1, …), or (1, dim) for a table.</summary>
    private protected virtual long[] WeightChannelShape => [OutFeatures, .. Enumerable.Repeat(1L, (int)BaseWeight.dim() - 1)];

    /// <summary>The shape that broadcasts a per-channel vector over an output: (out) on the last axis; (out, 1, …) for a convolution.</summary>
    private protected virtual long[] OutputChannelShape => [OutFeatures];

    /// <summary>Whether dropout reaches this kind's adapter input (not for token ids, as PEFT).</summary>
    private protected virtual bool DoraUsesDropout => true;

    /// <summary>The frozen operation without its bias, W∘x, on the float or dequantized base weight.</summary>
    private protected virtual Tensor BaseWithoutBias(Tensor input) =>
        throw new NotSupportedException($"DoRA is not supported for a {Kind} layer ('{TargetName}').");

    /// <summary>The frozen layer's bias, or null.</summary>
    private protected virtual Tensor? BaseBias => null;

    /// <summary>
    /// W∘x + s·B(A(x)) without bias or dropout: the direction term DoRA scales. A kind may compute it in one node (Linear
    /// reuses the fused node, whose backward writes the input gradient once).
    /// </summary>
    private protected virtual Tensor DoraDirection(Tensor input)
    {
        var direction = BaseWithoutBias(input);
        using var update = LowRankOfDropped(input);
        return direction.add_(update, alpha: Scaling); // a fresh output no autograd node saved
    }

    /// <summary>B(A(x)) of an input that dropout already reached (the DoRA path draws the mask once for both terms).</summary>
    private protected virtual Tensor LowRankOfDropped(Tensor dropped) => LowRankForward(dropped);

    /// <summary>‖W + ΔW‖ per output channel of a weight in <see cref="BaseWeight"/>'s layout, as a vector.</summary>
    private protected virtual Tensor ChannelNorm(Tensor weight)
    {
        using var rows = weight.reshape(weight.shape[0], -1);
        using var squares = rows.square();
        return squares.sum(dim: 1).sqrt_();
    }

    /// <summary>Computes m from the weight in force (<see cref="ResetLoraParameters"/> calls it after A and B); provisional until used.</summary>
    internal void ResetMagnitude()
    {
        if (!Options.UseDoRA) return;
        using var _ = no_grad();
        using var norm = WeightNormNow();
        using var shaped = norm.reshape(MagnitudeShape).to(LoraFactorType);
        if (get_parameter(MagnitudeName) is { } existing) existing.copy_(shaped);
        else register_parameter(MagnitudeName, new Parameter(shaped.clone(), requires_grad: !IsFrozenByDefault));
        _provisionalMagnitude?.Dispose();
        _provisionalMagnitude = shaped.clone().DetachFromDisposeScope();
    }

    // A new adapter's m trains as its factors do (an adapter added beside the active one is frozen by its caller).
    private bool IsFrozenByDefault => ParameterNamesWithoutMagnitude().FirstOrDefault().Parameter is { requires_grad: false };

    private ScalarType LoraFactorType => ParameterNamesWithoutMagnitude()[0].Parameter.dtype;

    private IReadOnlyList<(string Name, Tensor Parameter)> ParameterNamesWithoutMagnitude() =>
        ParameterNames.Where(p => p.Name != MagnitudeName).ToList();

    /// <summary><paramref name="factors"/>, then m when this is a DoRA adapter: what <see cref="ParameterNames"/> lists.</summary>
    private protected IReadOnlyList<(string Name, Tensor Parameter)> WithMagnitude(IReadOnlyList<(string Name, Tensor Parameter)> factors) =>
        Options.UseDoRA && get_parameter(MagnitudeName) is { } m ? [.. factors, (MagnitudeName, m)] : factors;

    /// <summary>
    /// Settles a provisional m: when nothing wrote m since it was computed, computes it again from the weight in force
    /// (pretrained weights loaded after construction, a base quantized at the first forward). Cheap once settled.
    /// </summary>
    internal void SettleMagnitude()
    {
        if (_provisionalMagnitude is not { } provisional) return;
        _provisionalMagnitude = null;
        using (provisional)
        using (no_grad())
        {
            var m = Magnitude!;
            using var comparable = provisional.to(m.dtype, m.device);
            using var same = m.eq(comparable).all();
            if (!same.item<bool>()) return; // written meanwhile (a loaded file, a checkpoint): keep it
            using var norm = WeightNormNow();
            using var shaped = norm.reshape(MagnitudeShape);
            m.copy_(shaped);
        }
    }

    /// <summary>Marks m as written by a load: it is no longer provisional.</summary>
    internal void MagnitudeWasLoaded()
    {
        _provisionalMagnitude?.Dispose();
        _provisionalMagnitude = null;
    }

    /// <summary>‖W + s·B·A‖ per output channel (a vector) from the float or dequantized base weight, without autograd.</summary>
    private Tensor WeightNormNow()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var dense = Base.Weight.Dense(BaseWeight.dtype); // the float parameter, or a dequantized copy
        var merged = dense.Tensor + DeltaWeight().to(dense.Tensor.dtype);
        return ChannelNorm(merged).MoveToOuterDisposeScope();
    }

    /// <summary>k = m / ‖W + s·B·A‖ (the norm detached), shaped to broadcast over an output.</summary>
    private Tensor DoraScale()
    {
        SettleMagnitude();
        using var norm = WeightNormNow();
        using var m = Magnitude!.reshape(OutputChannelShape);
        using var n = norm.reshape(OutputChannelShape).to(m.dtype);
        return m.div(n);
    }

    /// <summary>
    /// The DoRA output. Without dropout: k ⊙ (W∘x + s·B(A(x))) + b. With dropout (d = dropout(x)), as PEFT:
    /// base(x) + (k − 1) ⊙ W∘d + k ⊙ s·B(A(d)).
    /// </summary>
    private Tensor DoraForward(Tensor input)
    {
        using var scale = DoraScale();
        if (!(DropoutActive && DoraUsesDropout))
        {
            using var direction = DoraDirection(input);
            var result = direction.mul(scale);
            if (BaseBias is { } bias)
            {
                using var b = bias.reshape(OutputChannelShape);
                result.add_(b);
            }
            return result;
        }
        using var dropped = Dropout(input);
        return PlusDoraTerms(BaseForward(input), dropped, scale, inPlace: true);
    }

    /// <summary>
    /// The DoRA output on a base result the target's <c>call()</c> computed (hooks ran), out of place. Without dropout,
    /// as PEFT, W∘x is that result less the bias; with dropout W∘d is computed.
    /// </summary>
    private Tensor DoraPlusUpdate(Tensor result, Tensor input)
    {
        using var scale = DoraScale();
        if (!(DropoutActive && DoraUsesDropout))
        {
            using var direction = BaseBias is { } bias ? result.sub(bias.reshape(OutputChannelShape)) : result.alias();
            using var update = LowRankOfDropped(input);
            using var scaleLessOne = scale - 1;
            using var baseTerm = direction.mul(scaleLessOne);
            using var updateTerm = update.mul(scale);
            using var sum = result.add(baseTerm);
            return sum.add(updateTerm, alpha: Scaling);
        }
        using var dropped = Dropout(input);
        return PlusDoraTerms(result, dropped, scale, inPlace: false);
    }

    /// <summary>result + (k − 1) ⊙ W∘d + k ⊙ s·B(A(d)).</summary>
    private Tensor PlusDoraTerms(Tensor result, Tensor dropped, Tensor scale, bool inPlace)
    {
        using var direction = BaseWithoutBias(dropped);
        using var update = LowRankOfDropped(dropped);
        using var scaleLessOne = scale - 1;
        using var baseTerm = direction.mul(scaleLessOne);
        using var updateTerm = update.mul(scale);
        var output = inPlace ? result : result.clone();
        output.add_(baseTerm).add_(updateTerm, alpha: Scaling);
        return output;
    }

    /// <summary>(m / ‖W + ΔW‖) ⊙ (W + ΔW): the merged DoRA weight of <paramref name="weight"/>, and the norm unmerge needs.</summary>
    private (Tensor Merged, Tensor Norm) DoraMergedWeight(Tensor weight)
    {
        SettleMagnitude();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var sum = weight + DeltaWeight().to(weight.dtype);
        var norm = ChannelNorm(sum);
        var factor = Magnitude!.reshape(WeightChannelShape).to(weight.dtype) / norm.reshape(WeightChannelShape);
        var merged = sum.mul_(factor);
        return (merged.MoveToOuterDisposeScope(), norm.MoveToOuterDisposeScope());
    }

    /// <summary>Folds the DoRA weight into <paramref name="weight"/> (float base, no autograd), keeping the norm for unmerge.</summary>
    private void MergeDora(Tensor weight)
    {
        var (merged, norm) = DoraMergedWeight(weight);
        using (merged) weight.copy_(merged);
        _normAtMerge?.Dispose();
        _normAtMerge = norm.DetachFromDisposeScope();
    }

    /// <summary>W = W' / (m / ‖W + ΔW‖) − ΔW with the norm kept at merge (no autograd).</summary>
    private void UnmergeDora(Tensor weight)
    {
        var norm = _normAtMerge ?? throw new InvalidOperationException($"The DoRA adapter of '{TargetName}' is marked merged but holds no merge norm.");
        _normAtMerge = null;
        using var scope = NewDisposeScope();
        using (norm)
        {
            var factor = Magnitude!.reshape(WeightChannelShape).to(weight.dtype) / norm.reshape(WeightChannelShape).to(weight.dtype, weight.device);
            weight.div_(factor).sub_(DeltaWeight().to(weight.dtype));
        }
    }

    /// <summary>
    /// Refuses a per-row batch that names a DoRA adapter: its factor k rescales the base output row by row as a whole,
    /// which the per-row update cannot express; PEFT refuses <c>adapter_names</c> with DoRA too.
    /// </summary>
    internal void EnsurePerRowCapable(string name)
    {
        if (FindAdapter(name) is { Options.UseDoRA: true })
            throw new NotSupportedException(
                $"Adapter '{name}' of '{TargetName}' uses DoRA, which a per-row (mixed) batch cannot serve: DoRA rescales the layer's whole output by its magnitude, " +
                "not by an update added to some rows (PEFT refuses adapter_names with DoRA as well). Run its rows in a batch of their own with SetActiveAdapter, or merge it.");
    }
}
