using LoraSdk.Native;
using LoraSdk.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// The low-rank adapter of one frozen layer: forward = base(x) + scaling · B(A(dropout(x))).
/// It is registered as a child of the module that owns the layer (not under the layer itself: TorchSharp
/// does not move modules registered under a sealed layer on <c>to(dtype)</c>), so <c>to()</c>,
/// <c>train()</c> and <c>eval()</c> on the model reach it. Its own state-dict keys are
/// <c>lora_A.weight</c>/<c>lora_B.weight</c>; files use <see cref="ParameterNames"/> under the target path.
/// This class is the layer math (with merge/enable state, dropout, and its creation and routing); the layer's other
/// state lives in types of its own that the math uses, one per layer and shared by its adapters: the frozen base's
/// storage (<see cref="LayerBase"/> with its <see cref="FrozenWeight"/> strategy) and the named adapters, the active
/// one and the per-row plan (<see cref="NamedAdapterSet"/>).
/// </summary>
public abstract partial class LoraAdapter : nn.Module<Tensor, Tensor>
{
    /// <summary>PEFT's name for the adapter a model is built (or <c>from_pretrained</c> loaded) with.</summary>
    public const string DefaultName = "default";

    /// <summary>The child name of the quantized weight under the host adapter (state_dict: <c>&lt;target&gt;_lora.base_quantized.*</c>).</summary>
    public const string QuantizedBaseName = "base_quantized";

    private bool _merged;
    private bool _enabled = true;

    // merged || !enabled, kept as one field: the only check on the hot path of a merged or disabled adapter.
    private bool _baseOnly;

    // The layer's adapters (shared by all of them; this adapter is its host until JoinSet) and, used through the host
    // only, the layer's frozen base.
    private NamedAdapterSet _set;
    private readonly LayerBase _base;

    /// <summary>Freezes <paramref name="target"/>'s parameters; the subclass creates and registers A and B.</summary>
    /// <param name="targetName">The target's name within its owner (see <see cref="TargetName"/>).</param>
    /// <param name="target">The layer to adapt.</param>
    /// <param name="options">The adapter's hyper-parameters.</param>
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
        _set = new NamedAdapterSet(this);
        _base = new LayerBase(this, new FloatFrozenWeight(target, () => BaseWeight));
        foreach (var parameter in target.parameters()) parameter.requires_grad = false;
        // Once per process: a model that frees many MiB of activations per layer must not make glibc shrink the heap
        // and fault it back in at every layer (1.7x MiniLM forward time measured; see MallocThreshold).
        MallocThreshold.Prime();
    }

    /// <summary>
    /// Registers nothing: each adapter registers exactly its factors (<c>lora_A</c>/<c>lora_B</c>) itself.
    /// TorchSharp calls this when the owner registers the adapter, and its default would register every
    /// module field too: the frozen target a second time (a duplicate copy of the base weights in the
    /// owner's state_dict, moved twice by <c>to()</c>) and the factors again under their field names.
    /// </summary>
    protected override void RegisterComponents() { }

    /// <summary>
    /// The name under which an adapter for <paramref name="targetName"/> is registered on its owner. A module
    /// name cannot contain '.', so a collection element's target (<c>experts.0</c>) becomes <c>experts_0_lora</c>;
    /// its path (and file keys) keep the dotted <see cref="TargetName"/>.
    /// </summary>
    public static string ModuleNameFor(string targetName) => targetName.Replace('.', '_') + "_lora";

    /// <summary>The target's name within its owning module (e.g. <c>query</c>).</summary>
    public string TargetName { get; }

    /// <summary>The frozen base layer.</summary>
    public nn.Module Target { get; }

    /// <summary>This adapter's name (PEFT's <c>adapter_name</c>): <c>default</c> for the one built with the model.</summary>
    public string AdapterName { get; private set; } = DefaultName;

    /// <summary>The routed adapter of this layer that holds the named ones (itself for the default adapter).</summary>
    public LoraAdapter Host => _set.Host;

    /// <summary>
    /// The adapter of this layer that forward passes use: the host's active one. Routing, model-wide operations and
    /// the generated code use it, so every member of an adapter (<c>LoraA</c>, <c>Scaling</c>, <c>IsMerged</c>,
    /// <c>Enabled</c>, …) describes the active adapter of its layer.
    /// </summary>
    public LoraAdapter Active => _set.Active;

    /// <summary>Every adapter of this layer, the default first, then the others in the order they were added.</summary>
    public IReadOnlyList<LoraAdapter> AllLayerAdapters => _set.All;

    /// <summary>The former name of <see cref="AllLayerAdapters"/>.</summary>
    [Obsolete("Renamed AllLayerAdapters: every named adapter of this one layer, unlike the model-wide ActiveLoraAdapters().")]
    public IReadOnlyList<LoraAdapter> LayerAdapters => AllLayerAdapters;

    /// <summary>The layer's adapter called <paramref name="name"/>, or null.</summary>
    public LoraAdapter? FindAdapter(string name) => _set.Find(name);

    /// <summary>How the layer's frozen base weight is stored now.</summary>
    public LoraBase BaseStorage => Base.Weight.Kind;

    /// <summary>The layer's quantized base weight, or null while it is floating point.</summary>
    public QuantizedWeight? QuantizedBase => Base.Quantized;

    /// <summary>The layer's adapters, their active one and the per-row plan (one set per layer, shared by its adapters).</summary>
    internal NamedAdapterSet NamedSet => _set;

    /// <summary>The layer's frozen base: its storage (float or quantized) and the changes between the two (the host's).</summary>
    internal LayerBase Base => _set.Host._base;

    /// <summary>Per-row adapters of a mixed batch while <c>UseAdapterPerRow</c> is in force (see <see cref="NamedAdapterSet.RowPlan"/>).</summary>
    internal MixedBatchPlan? MixedRows => _set.RowPlan;

    /// <summary>Makes this fresh adapter a named member of <paramref name="set"/> (see <see cref="NamedAdapterSet.Add"/>).</summary>
    internal void JoinSet(NamedAdapterSet set, string name)
    {
        if (!ReferenceEquals(_set.Host, this) || _set.HasNamed) throw new InvalidOperationException($"Adapter '{AdapterName}' of '{TargetName}' already belongs to a layer's set.");
        _set = set;
        AdapterName = name;
    }

    /// <summary>
    /// The widest module tree known to hold this adapter: its owner (set by <see cref="Attach"/>), widened to the
    /// model by the model-wide commands that record it (<see cref="SharedWeights.RecordTree"/>: freezing, loading,
    /// <c>MergeLoRA</c>; never a query). Its own merge looks for tied weights there.
    /// </summary>
    internal nn.Module? KnownTree { get; set; }

    /// <summary>The module this adapter is registered on (by <see cref="Attach"/>).</summary>
    internal nn.Module? Owner { get; private set; }

    /// <summary>The options the adapter was built with (after any <see cref="LoraOptionsOverride"/>).</summary>
    public LoraOptions Options { get; }

    /// <summary>r: the inner dimension of B·A.</summary>
    public int Rank => Options.Rank;

    /// <summary>The update's factor: alpha / r, or alpha / √r with rsLoRA.</summary>
    public double Scaling { get; }

    /// <summary>The kind of layer this adapter adapts.</summary>
    public abstract LoraLayerKind Kind { get; }

    /// <summary>
    /// False while <c>DisableLoRA()</c> is in effect: the low-rank path is skipped. It does not touch a merged
    /// weight; <c>DisableLoRA()</c> unmerges merged adapters for its duration.
    /// </summary>
    public bool Enabled
    {
        get => _enabled;
        set { _enabled = value; _baseOnly = _merged || !value; }
    }

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

    /// <summary>
    /// The adapted output: base(x) + scaling·B(A(dropout(x))), or the base layer alone while merged or disabled;
    /// with a mixed batch (<c>MultiAdapterExtensions</c>), each row's own adapter.
    /// Generated interceptors of <c>target.forward(x)</c> come here (through <see cref="LoraRouter.Forward"/>).
    /// </summary>
    public override Tensor forward(Tensor input)
    {
        Base.ApplyPending();
        if (_baseOnly) return BaseForward(input);
        if (_set.RowPlan is { } rows) return rows.AddUpdates(_set.Host, BaseForward(input), input, inPlace: true);
        if (Options.UseDoRA) return DoraForward(input); // its own path: the fused Linear stays plain LoRA's
        return AdaptedForward(input);
    }

    /// <summary>
    /// The adapted output with the base part computed through the target's <c>call()</c>, so hooks
    /// registered on the target run (on the target's own output) as they would without an adapter.
    /// The update is added out of place: a hook may have kept a reference to that output.
    /// Generated interceptors of <c>target.call(x)</c> come here (through <see cref="LoraRouter.Call"/>).
    /// </summary>
    public Tensor CallThroughTarget(Tensor input)
    {
        var layerBase = Base;
        layerBase.ApplyPending();
        var result = layerBase.Weight.Call(input);
        if (_baseOnly) return result; // result not disposed: a hook's reference must stay valid
        if (_set.RowPlan is { } rows) return rows.AddUpdates(_set.Host, result, input, inPlace: false);
        if (Options.UseDoRA) return DoraPlusUpdate(result, input);
        return PlusUpdate(result, input);
    }

    /// <summary>result + scaling·B(A(dropout(x))) as a new tensor (the <c>call</c> path).</summary>
    protected virtual Tensor PlusUpdate(Tensor result, Tensor input)
    {
        using var delta = LowRankForward(input);
        // An explicit, disposed Scalar: an implicit one from a double is unreachable once its handle is read, and the
        // finalizer may free it while libtorch still reads it (seen as "toFloat" failures under parallel load).
        using var alpha = Scaling.ToScalar();
        return result.add(delta, alpha);
    }

    /// <summary>base(x) + scaling·B(A(dropout(x))); a layer kind overrides it where one formulation is faster.</summary>
    protected virtual Tensor AdaptedForward(Tensor input)
    {
        var result = BaseForward(input);
        using var delta = LowRankForward(input);
        using var alpha = Scaling.ToScalar(); // kept alive for the call: see PlusUpdate
        return result.add_(delta, alpha);
    }

    /// <summary>The frozen layer's own forward, never adapted.</summary>
    public abstract Tensor BaseForward(Tensor input);

    /// <summary>B(A(dropout(x))) without the scaling.</summary>
    public abstract Tensor LowRankForward(Tensor input);

    /// <summary>scaling · B·A in the layout of <see cref="BaseWeight"/>.</summary>
    public abstract Tensor DeltaWeight();

    /// <summary>Folds scaling·B·A into the base weight; forward then runs the base layer only.</summary>
    /// <param name="safe">Check the merged weight for NaN/Inf first and leave the weight untouched if any.</param>
    /// <exception cref="InvalidOperationException">The base weight is tied to another module of the widest tree known to hold this adapter.</exception>
    public void Merge(bool safe = false)
    {
        if (!_merged) AdapterMerge.Merge([this], safe);
    }

    /// <summary>As <see cref="Merge"/>, for callers that already ran the tied-weight check on a wider tree.</summary>
    internal void MergeChecked(bool safe)
    {
        if (_merged) return;
        Base.EnsureFloat("merge", TargetName);
        if (safe) EnsureMergeIsFinite(TargetName);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = BaseWeight;
        if (Options.UseDoRA) MergeDora(weight);
        else weight.add_(DeltaWeight().to(weight.dtype));
        _merged = _baseOnly = true;
    }

    /// <summary>
    /// Throws unless W + scaling·B·A is finite, touching nothing. Computes exactly what <see cref="Merge"/>
    /// adds, so a model-wide safe merge can check every adapter before it changes any weight.
    /// </summary>
    internal void EnsureMergeIsFinite(string displayName)
    {
        Base.EnsureFloat("merge", displayName);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = BaseWeight;
        var merged = Options.UseDoRA ? DoraMergedWeight(weight).Merged : weight + DeltaWeight().to(weight.dtype);
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
        if (Options.UseDoRA) UnmergeDora(weight);
        else weight.sub_(DeltaWeight().to(weight.dtype));
        _merged = false;
        _baseOnly = !_enabled;
    }

    /// <summary>Re-initialises A and B as <see cref="LoraOptions.Init"/> says (PiSSA also rewrites the base weight).</summary>
    public abstract void ResetLoraParameters();

    /// <summary>Whether this forward drops adapter inputs: training with p &gt; 0.</summary>
    internal bool DropoutActive => training && Options.Dropout > 0;

    /// <summary>Inverted dropout on the adapter input while training; otherwise an alias of <paramref name="input"/>.</summary>
    protected Tensor Dropout(Tensor input) =>
        DropoutActive ? nn.functional.dropout(input, Options.Dropout, training: true) : input.alias();

    /// <summary>
    /// The inverted-dropout mask (0 or 1/(1 − p)) that <see cref="Dropout"/> would multiply by, drawn the same way
    /// (the same random numbers), or null while not training or without dropout.
    /// </summary>
    protected Tensor? DropoutMask(Tensor input)
    {
        if (!DropoutActive) return null;
        double p = Options.Dropout;
        var mask = empty_like(input);
        mask.bernoulli_(1 - p).div_(1 - p); // in place: returns mask itself
        return mask;
    }

    /// <summary>Creates the adapter for a layer of a supported kind.</summary>
    public static LoraAdapter Create(string targetName, nn.Module target, LoraOptions options) => target switch
    {
        TorchSharp.Modules.Linear linear => new LinearLoraAdapter(targetName, linear, options),
        TorchSharp.Modules.Conv2d conv => new Conv2dLoraAdapter(targetName, conv, options),
        TorchSharp.Modules.Conv1d conv1d => new Conv1dLoraAdapter(targetName, conv1d, options),
        TorchSharp.Modules.Embedding embedding => new EmbeddingLoraAdapter(targetName, embedding, options),
        _ => throw new NotSupportedException(
            $"LoRA target '{targetName}' is a {target.GetType().Name}; supported layers are Linear, Conv1d, Conv2d and Embedding."),
    };

    /// <summary>
    /// Creates an adapter for <paramref name="target"/>, registers it on <paramref name="owner"/> and routes
    /// the target's calls through it. Generated code calls this from <c>RegisterComponents()</c>; it also
    /// serves models that are adapted by hand. A quantized <see cref="LoraOptions.Base"/> is checked against the layer
    /// kind now and applied at the layer's first forward (after pretrained weights were loaded).
    /// </summary>
    /// <exception cref="NotSupportedException">The options ask for a quantized base on a layer that is not a <c>Linear</c>.</exception>
    public static LoraAdapter Attach(nn.Module owner, string targetName, nn.Module target, LoraOptions options)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(options);
        var adapter = Create(targetName, target, options);
        adapter.Base.Request(options.Base, $"{owner.GetType().Name}.{targetName}");
        owner.register_module(ModuleNameFor(targetName), adapter);
        adapter.Owner = adapter.KnownTree = owner;
        LoraRouter.Register(target, adapter);
        return adapter;
    }

    /// <summary>
    /// True for the adapter of a target left unadapted: built in a <see cref="LoraOptionsOverride"/> whose
    /// <see cref="LoraOptionsOverride.Targets"/> leave it out, or detached at run time (<see cref="Detach"/>). It is not
    /// registered on its owner or routed: the layer's calls run the plain layer, and model-wide operations skip it.
    /// </summary>
    internal bool Detached { get; private set; }

    private bool _standby;

    /// <summary>The stand-in a generated class keeps for a target the override leaves unadapted (see <see cref="Detached"/>).</summary>
    internal static LoraAdapter Standby(nn.Module owner, string targetName, nn.Module target, LoraOptions options)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var adapter = Create(targetName, target, LoraOptionsForStandby(options));
        adapter.Owner = adapter.KnownTree = owner;
        adapter.Detached = adapter._standby = true;
        LoraRouter.LeavePlain(target, adapter);
        return adapter;
    }

    // A stand-in is never trained or saved: rank 1 keeps its unused factors small.
    private static LoraOptions LoraOptionsForStandby(LoraOptions options) => new(1, options.Alpha, options.Dropout, options.UseRsLoRA, LoraInit.Kaiming);

    /// <summary>
    /// Removes this adapter from its owner and the router: the layer becomes plain (model-wide operations and
    /// adapter files no longer see it). Refused while merged, quantized, holding named adapters or in a per-row scope.
    /// </summary>
    internal void Detach()
    {
        if (Detached) return;
        string problem = !ReferenceEquals(Host, this) ? "it is a named adapter (DeleteAdapter removes those)"
            : _merged ? "it is merged (unmerge first)"
            : QuantizedBase is not null ? "its base is quantized (QuantizeBase(LoraBase.Float32) first)"
            : _set.HasNamed ? "the layer holds named adapters (delete them first)"
            : _set.RowPlan is not null ? "a per-row adapter scope is in force"
            : "";
        if (problem.Length > 0) throw new InvalidOperationException($"The LoRA adapter of '{TargetName}' cannot be removed: {problem}.");
        Owner?.register_module(ModuleNameFor(TargetName), null!); // TorchSharp's way to drop a registered child
        LoraRouter.LeavePlain(Target);
        Detached = true;
    }

    /// <summary>Undoes <see cref="Detach"/>: registers the adapter on its owner and routes the layer's calls through it again.</summary>
    internal void Reattach()
    {
        if (!Detached) return;
        if (_standby || Owner is null) throw new InvalidOperationException($"'{TargetName}' was never adapted; attach a new adapter instead.");
        Owner.register_module(ModuleNameFor(TargetName), this);
        LoraRouter.Register(Target, this);
        Detached = false;
    }

    /// <summary>
    /// Quantizes the weight of a layer left unadapted (this is its stand-in, see <see cref="Standby"/>; see
    /// <see cref="LayerBase.QuantizePlain"/>). For models that quantize every projection while only some carry adapters
    /// (QLoRA's recipe).
    /// </summary>
    internal void QuantizePlain(LoraBase kind)
    {
        if (!_standby || Owner is null) throw new InvalidOperationException($"'{TargetName}' is adapted; QuantizeBase quantizes adapted layers.");
        Base.QuantizePlain(Owner, kind);
    }

    /// <summary><c>target.call(x)</c> of a layer left plain: through the quantized weight when it has one (hooks run).</summary>
    internal Tensor PlainCall(Tensor input) => Base.Weight.Call(input);
}
