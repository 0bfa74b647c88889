using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// The low-rank adapter of one frozen layer: forward = base(x) + scaling · B(A(dropout(x))).
/// It is registered as a child of the module that owns the layer (not under the layer itself: TorchSharp
/// does not move modules registered under a sealed layer on <c>to(dtype)</c>), so <c>to()</c>,
/// <c>train()</c> and <c>eval()</c> on the model reach it. Its own state-dict keys are
/// <c>lora_A.weight</c>/<c>lora_B.weight</c>; files use <see cref="ParameterNames"/> under the target path.
/// </summary>
public abstract partial class LoraAdapter : nn.Module<Tensor, Tensor>
{
    private bool _merged;

    protected LoraAdapter(string targetName, nn.Module target, LoraOptions options)
        : base(ModuleNameFor(targetName))
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetName);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        TargetName = targetName;
        Target = target;
        Options = options;
        Scaling = options.Scaling;
        foreach (var parameter in target.parameters()) parameter.requires_grad = false;
    }

    /// <summary>
    /// Registers nothing: each adapter registers exactly its factors (<c>lora_A</c>/<c>lora_B</c>) itself.
    /// TorchSharp calls this when the owner registers the adapter, and its default would register every
    /// module field too: the frozen target a second time (a duplicate copy of the base weights in the
    /// owner's state_dict, moved twice by <c>to()</c>) and the factors again under their field names.
    /// </summary>
    protected override void RegisterComponents() { }

    /// <summary>The name under which an adapter for <paramref name="targetName"/> is registered on its owner.</summary>
    public static string ModuleNameFor(string targetName) => targetName + "_lora";

    /// <summary>The target's name within its owning module (e.g. <c>query</c>).</summary>
    public string TargetName { get; }

    /// <summary>The frozen base layer.</summary>
    public nn.Module Target { get; }

    public LoraOptions Options { get; }

    public int Rank => Options.Rank;

    public double Scaling { get; }

    public abstract LoraLayerKind Kind { get; }

    /// <summary>
    /// False while <c>DisableLoRA()</c> is in effect: the low-rank path is skipped. It does not touch a merged
    /// weight; <c>DisableLoRA()</c> unmerges merged adapters for its duration.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Whether scaling·B·A is currently folded into the base weight.</summary>
    public bool IsMerged => _merged;

    /// <summary>The input width of the target (in_features, in_channels or num_embeddings).</summary>
    public abstract long InFeatures { get; }

    /// <summary>The output width of the target (out_features, out_channels or embedding_dim).</summary>
    public abstract long OutFeatures { get; }

    /// <summary>The frozen weight that merging changes.</summary>
    public abstract Tensor BaseWeight { get; }

    /// <summary>
    /// The trainable tensors with their PEFT names relative to the target: <c>lora_A.weight</c> and
    /// <c>lora_B.weight</c> (embeddings: <c>lora_embedding_A</c> and <c>lora_embedding_B</c>).
    /// </summary>
    public abstract IReadOnlyList<(string Name, Tensor Parameter)> ParameterNames { get; }

    /// <summary>The shapes that adapter files must have for each of <see cref="ParameterNames"/>.</summary>
    public IReadOnlyList<(string Name, long[] Shape)> ExpectedShapes =>
        ParameterNames.Select(p => (p.Name, p.Parameter.shape)).ToList();

    public override Tensor forward(Tensor input)
    {
        var result = BaseForward(input);
        if (!Enabled || _merged) return result;
        if (Host.MixedRows is { } rows) return rows.AddUpdates(Host, result, input, inPlace: true);
        using var delta = LowRankForward(input);
        return result.add_(delta, alpha: Scaling);
    }

    /// <summary>
    /// The adapted output with the base part computed through the target's <c>call()</c>, so hooks
    /// registered on the target run (on the target's own output) as they would without an adapter.
    /// The update is added out of place: a hook may have kept a reference to that output.
    /// </summary>
    public Tensor CallThroughTarget(Tensor input)
    {
        var result = ((nn.Module<Tensor, Tensor>)Target).call(input);
        if (!Enabled || _merged) return result;
        if (Host.MixedRows is { } rows) return rows.AddUpdates(Host, result, input, inPlace: false);
        using var delta = LowRankForward(input);
        return result.add(delta, alpha: Scaling); // not disposed either: the hook's reference must stay valid
    }

    /// <summary>The frozen layer's own forward, never adapted.</summary>
    public abstract Tensor BaseForward(Tensor input);

    /// <summary>B(A(dropout(x))) without the scaling.</summary>
    public abstract Tensor LowRankForward(Tensor input);

    /// <summary>scaling · B·A in the layout of <see cref="BaseWeight"/>.</summary>
    public abstract Tensor DeltaWeight();

    /// <summary>Folds scaling·B·A into the base weight; forward then runs the base layer only.</summary>
    /// <param name="safe">Check the merged weight for NaN/Inf first and leave the weight untouched if any.</param>
    public void Merge(bool safe = false)
    {
        if (_merged) return;
        if (safe) EnsureMergeIsFinite(TargetName);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = BaseWeight;
        weight.add_(DeltaWeight().to(weight.dtype));
        _merged = true;
    }

    /// <summary>
    /// Throws unless W + scaling·B·A is finite, touching nothing. Computes exactly what <see cref="Merge"/>
    /// adds, so a model-wide safe merge can check every adapter before it changes any weight.
    /// </summary>
    internal void EnsureMergeIsFinite(string displayName)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = BaseWeight;
        var merged = weight + DeltaWeight().to(weight.dtype);
        if (!isfinite(merged).all().item<bool>())
            throw new InvalidOperationException(
                $"Safe merge of LoRA adapter '{displayName}' refused: the merged weight would contain NaN or Inf. The base weight is unchanged.");
    }

    /// <summary>Subtracts scaling·B·A from the base weight again.</summary>
    public void Unmerge()
    {
        if (!_merged) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = BaseWeight;
        weight.sub_(DeltaWeight().to(weight.dtype));
        _merged = false;
    }

    /// <summary>Re-initialises A and B as <see cref="LoraOptions.Init"/> says (PiSSA also rewrites the base weight).</summary>
    public abstract void ResetLoraParameters();

    protected Tensor Dropout(Tensor input) =>
        training && Options.Dropout > 0 ? nn.functional.dropout(input, Options.Dropout, training: true) : input.alias();

    /// <summary>Creates the adapter for a layer of a supported kind.</summary>
    public static LoraAdapter Create(string targetName, nn.Module target, LoraOptions options) => target switch
    {
        TorchSharp.Modules.Linear linear => new LinearLoraAdapter(targetName, linear, options),
        TorchSharp.Modules.Conv2d conv => new Conv2dLoraAdapter(targetName, conv, options),
        TorchSharp.Modules.Embedding embedding => new EmbeddingLoraAdapter(targetName, embedding, options),
        _ => throw new NotSupportedException(
            $"LoRA target '{targetName}' is a {target.GetType().Name}; supported layers are Linear, Conv2d and Embedding."),
    };

    /// <summary>
    /// Creates an adapter for <paramref name="target"/>, registers it on <paramref name="owner"/> and routes
    /// the target's calls through it. Generated code calls this from <c>RegisterComponents()</c>; it also
    /// serves models that are adapted by hand.
    /// </summary>
    public static LoraAdapter Attach(nn.Module owner, string targetName, nn.Module target, LoraOptions options)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var adapter = Create(targetName, target, options);
        owner.register_module(ModuleNameFor(targetName), adapter);
        LoraRouter.Register(target, adapter);
        return adapter;
    }
}
