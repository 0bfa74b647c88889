using LoraSdk.Native;
using LoraSdk.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// A Llama-family decoder LLM with its output head (HuggingFace's <c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c>,
/// <c>Qwen2ForCausalLM</c>; SmolLM is a Llama): <c>model</c> (<see cref="DecoderModel"/>) and <c>lm_head</c> (absent when
/// the embeddings are tied). Module paths are HuggingFace's, so adapter keys are PEFT's
/// (<c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>). Load a checkpoint folder with
/// <see cref="Load"/>; docs/models.md ("Decoder LLMs") says what loads and what is refused.
/// </summary>
public sealed partial class CausalLM : nn.Module<Tensor, Tensor>, ILoraTrainableModel
{
#pragma warning disable IDE1006 // HuggingFace's module names are the state-dict and adapter keys
    private readonly DecoderModel model;
    private readonly Linear? lm_head;
#pragma warning restore IDE1006

    /// <summary>
    /// A randomly initialised model of <paramref name="config"/>'s shape with adapters as <paramref name="options"/> say
    /// (default: q_proj and v_proj, rank 8, alpha 8). Every base weight is frozen.
    /// </summary>
    public CausalLM(DecoderConfig config, CausalLMLoadOptions? options = null)
        : this(config, options ?? new CausalLMLoadOptions(), DecoderLayerFactory(config, options ?? new CausalLMLoadOptions()))
    {
    }

    /// <summary>The model with layers from <paramref name="buildLayer"/>; <paramref name="initialise"/> false leaves the embeddings and lm_head uninitialised (a loader overwrites them).</summary>
    internal CausalLM(DecoderConfig config, CausalLMLoadOptions options, Func<int, DecoderLayer> buildLayer, bool initialise = true) : base(nameof(CausalLM))
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var (key, message) in config.Problems()) throw new ArgumentException($"DecoderConfig {key} {message}", nameof(config));
        Config = config;
        Options = options;
        GenerationConfig = new DecoderGenerationConfig(config.BosTokenId, config.EosTokenIds, config.PadTokenId);
        model = new DecoderModel(config, buildLayer, initialise);
        if (!config.TieWordEmbeddings) lm_head = DecoderWeights.Linear(config.HiddenSize, config.VocabSize, hasBias: false, initialise);
        RegisterComponents();
        if (lm_head is not null)
        {
            lm_head.to(options.DType);
            foreach (var parameter in lm_head.parameters()) parameter.requires_grad = false;
        }
        model.EmbedTokens.to(options.DType);
        foreach (var norm in model.modules().OfType<RmsNorm>()) norm.to(options.DType);
    }

    /// <summary>The model's shape and numerics (from config.json when loaded).</summary>
    public DecoderConfig Config { get; }

    /// <summary>BOS/EOS/pad ids for generation (generation_config.json, else config.json).</summary>
    public DecoderGenerationConfig GenerationConfig { get; private set; }

    /// <summary>The options the model was built with.</summary>
    public CausalLMLoadOptions Options { get; }

    /// <summary>Recompute each decoder layer in backward to save activation memory (see <see cref="DecoderModel.GradientCheckpointing"/>).</summary>
    public bool GradientCheckpointing
    {
        get => model.GradientCheckpointing;
        set => model.GradientCheckpointing = value;
    }

    /// <summary>The decoder stack (<c>model</c>).</summary>
    public DecoderModel Model => model;

    /// <summary>Logits (batch × t × vocab) for token ids (batch × t, int64), every position attending to itself and earlier ones.</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        using var mask = ones(ids.shape, ScalarType.Bool, ids.device);
        return Head(model.Forward(ids, mask, 0, null)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits (batch × t × vocab) for left-padded ids; <paramref name="attentionMask"/> (batch × t, int64 or bool) is 1 for
    /// real tokens and 0 for padding. Positions count real tokens (as transformers' <c>generate</c> derives them), so a
    /// padded row's logits at its real tokens equal those of its prompt alone; logits at padding positions are meaningless.
    /// </summary>
    public Tensor call(Tensor ids, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (!attentionMask.shape.SequenceEqual(ids.shape))
            throw new ArgumentException($"attentionMask has shape [{string.Join(", ", attentionMask.shape)}]; it must match ids [{string.Join(", ", ids.shape)}].", nameof(attentionMask));
        using var scope = NewDisposeScope();
        return Head(model.Forward(ids, attentionMask.to_type(ScalarType.Bool), 0, null)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits (batch × t × vocab) for rows holding several examples packed one after another: <paramref name="segmentIds"/>
    /// (batch × t, int64) gives each token its example's number (1, 2, …) and 0 to padding at the end. Each example
    /// starts at position 0 and attends only within itself, so its logits equal those of the example alone.
    /// </summary>
    public Tensor CallPacked(Tensor ids, Tensor segmentIds)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(segmentIds);
        if (!segmentIds.shape.SequenceEqual(ids.shape))
            throw new ArgumentException($"segmentIds has shape [{string.Join(", ", segmentIds.shape)}]; it must match ids [{string.Join(", ", ids.shape)}].", nameof(segmentIds));
        using var scope = NewDisposeScope();
        return Head(model.ForwardPacked(ids, segmentIds.to_type(ScalarType.Int64))).MoveToOuterDisposeScope();
    }

    /// <summary>Next-token prediction: <see cref="LoraTrainer"/> scores position t against token t + 1.</summary>
    public LoraTask Task => LoraTask.CausalLanguageModeling;

    /// <summary>
    /// The trainer's forward: <see cref="call(Tensor, Tensor)"/> (right or left padding; padded targets are not scored),
    /// or <see cref="CallPacked"/> when the mask numbers packed examples (values above 1, as <c>Batch.Collate</c> writes
    /// them for <c>EncodedExample.SegmentIds</c>).
    /// </summary>
    public Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(attentionMask);
        bool packed = attentionMask.dtype == ScalarType.Int64 && attentionMask.numel() > 0 && attentionMask.max().item<long>() > 1;
        return packed ? CallPacked(inputIds, attentionMask) : call(inputIds, attentionMask);
    }

    /// <summary>Starts a cached decoding of <paramref name="batch"/> rows (see <see cref="IDecodingSession"/>).</summary>
    internal IDecodingSession StartDecoding(long batch) => new DecodingSession(this, batch);

    /// <summary>Hidden states → logits, through lm_head or the tied embedding; disposes <paramref name="hidden"/>.</summary>
    internal Tensor Head(Tensor hidden)
    {
        using (hidden)
            return lm_head is not null ? lm_head.forward(hidden) : nn.functional.linear(hidden, model.EmbedTokens.weight!);
    }

    internal DecoderModel Decoder => model;

    /// <summary>
    /// Builds layer i with the options' adapters and dtype, lets <paramref name="fill"/> put its weights in, then
    /// quantizes its projections (<see cref="CausalLMLoadOptions.Base"/>): one layer at a time. With a
    /// <paramref name="fill"/> (a loader) the layer is built uninitialised, since every value is overwritten, and after
    /// quantizing, the heap pages its float weights and the quantization's temporaries held are given back
    /// (<see cref="MallocTrim"/>): glibc keeps freed chunks, and the next layer's allocations do not reuse all of them,
    /// so without it a 30-layer NF4 load grew by about the float32 model (measured: 18 MB per SmolLM2-135M layer
    /// against 2 MB of NF4 codes).
    /// </summary>
    internal static Func<int, DecoderLayer> DecoderLayerFactory(DecoderConfig config, CausalLMLoadOptions options, Action<int, DecoderLayer>? fill = null)
    {
        var overrides = options.Override();
        return index =>
        {
            DecoderLayer layer;
            using (LoraOptionsOverride.Apply(overrides)) layer = new DecoderLayer(config, initialise: fill is null);
            if (options.DType != ScalarType.Float32) layer.to(options.DType);
            fill?.Invoke(index, layer);
            if (options.Base != LoraBase.Float32)
            {
                QuantizeProjections(layer, options.Base);
                if (fill is not null) MallocTrim.Release();
            }
            return layer;
        };
    }

    /// <summary>Quantizes all seven projections of a filled layer: adapted ones as QuantizeBase does, plain ones through their stand-ins.</summary>
    private static void QuantizeProjections(DecoderLayer layer, LoraBase kind)
    {
        if (layer.ActiveLoraAdapters().Count > 0) layer.QuantizeBase(kind);
        foreach (var owner in new nn.Module[] { layer.SelfAttention, layer.Mlp })
            foreach (var (_, child) in owner.named_children().ToList())
                if (child is Linear linear && LoraRouter.TryGetStandIn(linear, out var standIn)) standIn.QuantizePlain(kind);
    }
}
