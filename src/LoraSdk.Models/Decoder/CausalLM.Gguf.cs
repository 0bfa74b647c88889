using LoraSdk.Models.Gguf;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Models;

public sealed partial class CausalLM
{
    /// <summary>
    /// Writes the model as a GGUF file llama.cpp, LLamaSharp and Ollama load: the weights the forward uses now, i.e.
    /// each adapted projection's <c>W + scaling·B·A</c> for its active, enabled adapter (computed into the export; the
    /// model itself is not changed), a quantized base dequantized first, the tokenizer from the folder the model was
    /// loaded from (<see cref="GgufExportOptions"/> says how to give another). 2-D weights are stored as
    /// <paramref name="type"/> (the issue's <c>GgufType</c>: F32, F16 or Q8_0); norms and biases stay F32.
    /// </summary>
    /// <param name="path">The .gguf file; written to a temporary file first, so a failure leaves nothing behind.</param>
    /// <param name="type">How 2-D weights are stored.</param>
    /// <param name="options">Tokenizer, pre-tokenizer name and model name; null: all derived from the model.</param>
    /// <exception cref="InvalidOperationException">The model cannot be exported exactly (a per-row adapter scope, a non-linear adapter, mixed merge state).</exception>
    /// <exception cref="NotSupportedException">The tokenizer cannot be converted, or its llama.cpp pre-tokenizer name cannot be told.</exception>
    public void ExportGguf(string path, GgufTensorType type, GgufExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new GgufExportOptions();
        var spec = GgufSpec() with { Tokenizer = options.Tokenizer ?? GgufTokenizerFromFolder(options.PreTokenizer), Name = options.Name ?? GgufName() };
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        GgufModelExport.WriteModel(path, spec, EffectiveWeights(), type);
    }

    /// <summary>
    /// Writes the active adapter as a GGUF LoRA adapter (what llama.cpp's <c>convert_lora_to_gguf.py</c> produces) for the
    /// GGUF of the base model (<see cref="ExportGguf"/> of the model without adapters, or llama.cpp's own conversion of the
    /// same checkpoint): llama.cpp then adds <c>scaling·B·A</c> to each adapted weight, as the unmerged forward does.
    /// Every adapted projection must share one rank and one scaling (the format has one alpha); rsLoRA's
    /// <c>alpha/√r</c> scaling is written as the alpha llama.cpp divides by r. A and B are written as they are, so
    /// whether the adapter is merged into this model does not matter.
    /// </summary>
    /// <param name="path">The .gguf adapter file; written to a temporary file first.</param>
    /// <param name="type">How A and B are stored (F32 or F16).</param>
    /// <exception cref="InvalidOperationException">No projection carries an adapter, ranks or scalings differ, or an adapter is not a linear LoRA.</exception>
    public void ExportGgufAdapter(string path, GgufTensorType type = GgufTensorType.F32)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (tensors, rank, scaling) = GgufAdapterTensors();
        // llama.cpp scales by alpha / r with r from the tensors' shape: alpha = scaling·r reproduces LoRA and rsLoRA alike.
        GgufModelExport.WriteLoraAdapter(path, GgufSpec() with { Name = GgufName() }, scaling * rank, rank, tensors, type);
    }

    /// <summary>
    /// Why <see cref="ExportGguf"/> of the base and <see cref="ExportGgufAdapter"/> would refuse this model (the
    /// architecture, the vocabulary, the adapters' kinds, ranks and scalings), or null when both can be written. Reads
    /// only the configuration, the adapters' shapes and the tokenizer files: cheap enough to ask before training.
    /// </summary>
    internal string? GgufExportRefusal()
    {
        try
        {
            GgufSpec();
            GgufAdapterTensors();
            GgufTokenizerFromFolder(null);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException or IOException)
        {
            return e.Message;
        }
    }

    /// <summary>PEFT-named A and B of every adapted projection, with their one rank and scaling; throws when they cannot be one GGUF adapter.</summary>
    private (Dictionary<string, Tensor> Tensors, int Rank, double Scaling) GgufAdapterTensors()
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var shapes = new SortedSet<(int Rank, double Scaling)>();
        foreach (var (modulePath, _, _, layer) in Projections())
        {
            if (!LoraRouter.TryGetAdapter(layer, out var adapter)) continue;
            var active = adapter.Host.Active;
            if (active is not LinearLoraAdapter linear)
                throw new InvalidOperationException($"GGUF adapter export: '{modulePath}' carries a {active.GetType().Name}; only plain linear LoRA can be exported.");
            tensors[modulePath + ".lora_A.weight"] = linear.LoraA;
            tensors[modulePath + ".lora_B.weight"] = linear.LoraB;
            shapes.Add((linear.Rank, linear.Scaling));
        }
        if (tensors.Count == 0) throw new InvalidOperationException("GGUF adapter export: no projection carries an adapter.");
        if (shapes.Count > 1)
            throw new InvalidOperationException(
                $"GGUF adapter export: the adapted projections have different (rank, scaling) pairs ({string.Join(", ", shapes.Select(s => $"r={s.Rank}, scaling={s.Scaling:G6}"))}); " +
                "a GGUF LoRA adapter has one alpha for all tensors (rank_pattern/alpha_pattern adapters cannot be written exactly).");
        var (rank, scaling) = shapes.Min;
        return (tensors, rank, scaling);
    }

    /// <summary>The GGUF description of <see cref="Config"/> (no tokenizer).</summary>
    private GgufModelSpec GgufSpec()
    {
        var c = Config;
        GgufArchitecture architecture = c.ModelType switch
        {
            "llama" or "mistral" => GgufArchitecture.Llama,
            "qwen2" => GgufArchitecture.Qwen2,
            _ => throw new NotSupportedException($"GGUF export: model_type '{c.ModelType}' has no llama.cpp architecture here (llama, mistral, qwen2)."),
        };
        GgufRopeScaling? rope = c.RopeScaling switch
        {
            null => null,
            { Type: "linear" } s => new GgufLinearRopeScaling(s.Factor),
            { Type: "llama3" } s when s.OriginalMaxPositionEmbeddings == Math.Floor(s.OriginalMaxPositionEmbeddings) =>
                new GgufLlama3RopeScaling(s.Factor, s.LowFreqFactor, s.HighFreqFactor, (int)s.OriginalMaxPositionEmbeddings),
            var s => throw new NotSupportedException($"GGUF export: rope_scaling {s} cannot be written for llama.cpp."),
        };
        return new GgufModelSpec(architecture, c.VocabSize, c.HiddenSize, c.NumLayers, c.NumHeads, c.NumKeyValueHeads, c.HeadDim,
            c.IntermediateSize, c.RmsNormEps, c.RopeTheta, rope, c.MaxPositionEmbeddings, c.TieWordEmbeddings,
            GenerationConfig.BosTokenId, GenerationConfig.EosTokenIds.Count > 0 ? GenerationConfig.EosTokenIds[0] : null,
            SlidingWindow: c.SlidingWindow);
    }

    private string? GgufName() => SourceFolder is null ? null : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(SourceFolder)));

    /// <summary>The vocabulary of the folder the model was loaded from: SentencePiece (tokenizer.model) or byte-level BPE (tokenizer.json).</summary>
    private GgufTokenizer GgufTokenizerFromFolder(string? preTokenizer)
    {
        if (SourceFolder is null)
            throw new NotSupportedException("GGUF export needs a tokenizer: this CausalLM was not loaded from a folder, so give GgufExportOptions.Tokenizer.");
        string json = Path.Combine(SourceFolder, TokenizerFile);
        string sentencePiece = Path.Combine(SourceFolder, "tokenizer.model");
        bool? addBos = Tokenizer is { } t ? t.AddsSpecialTokens.Bos : null;
        string? template = Tokenizer?.ChatTemplateSource;
        if (File.Exists(sentencePiece))
            return GgufTokenizer.FromSentencePiece(sentencePiece, File.Exists(json) ? json : null, addBos, template);
        if (!File.Exists(json))
            throw new NotSupportedException($"GGUF export needs a tokenizer: {json} does not exist. Give GgufExportOptions.Tokenizer.");
        return GgufTokenizer.FromTokenizerJson(json, preTokenizer ?? GgufPreTokenizerName.Derive(json), addBos, template);
    }

    /// <summary>HF-named float32 tensors of what the forward computes with: base + active unmerged adapter, quantized bases dequantized.</summary>
    private Dictionary<string, Tensor> EffectiveWeights()
    {
        var expected = ExpectedTensors(Config).Expected;
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in named_parameters())
            if (expected.ContainsKey(name) && !name.Contains("_proj.", StringComparison.Ordinal))
                weights[name] = parameter.detach().to(ScalarType.Float32);
        foreach (var (path, _, _, layer) in Projections())
        {
            weights[path + ".weight"] = EffectiveWeight(path, layer);
            if (layer.bias is { } bias) weights[path + ".bias"] = bias.detach().to(ScalarType.Float32);
        }
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"GGUF export: the model has no tensor {string.Join(", ", missing.Take(3))}.");
        return weights;
    }

    private static Tensor EffectiveWeight(string path, Linear layer)
    {
        if (!LoraRouter.TryGetAdapter(layer, out var adapter))
            return LoraRouter.TryGetStandIn(layer, out var standIn) && standIn.QuantizedBase is { } plainQuantized
                ? plainQuantized.Dequantize(ScalarType.Float32)
                : layer.weight!.detach().to(ScalarType.Float32);
        var host = adapter.Host;
        if (host.MixedRows is not null)
            throw new InvalidOperationException($"GGUF export inside UseAdapterPerRow: '{path}' has a different adapter per row; export outside the scope.");
        var active = host.Active;
        var merged = host.AllLayerAdapters.Where(a => a.IsMerged).ToList();
        if (merged.Count > 1 || (merged.Count == 1 && merged[0] != active))
            throw new InvalidOperationException($"GGUF export: '{path}' has adapter(s) {string.Join(", ", merged.Select(a => a.AdapterName))} merged while '{active.AdapterName}' is active; unmerge first.");
        Tensor baseWeight = host.QuantizedBase is { } quantized ? quantized.Dequantize(ScalarType.Float64) : layer.weight!.detach().to(ScalarType.Float64);
        if (active.IsMerged || !active.Enabled) return baseWeight.to(ScalarType.Float32);
        if (active is not LinearLoraAdapter)
            throw new InvalidOperationException($"GGUF export: '{path}' carries a {active.GetType().Name}; only plain linear LoRA can be merged into the export.");
        // W + scaling·B·A in float64, rounded once (Merge() adds in the weight's dtype; this is at least as exact).
        return (baseWeight + active.DeltaWeight().to(ScalarType.Float64)).to(ScalarType.Float32);
    }
}
