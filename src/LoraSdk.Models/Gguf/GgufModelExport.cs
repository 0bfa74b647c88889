using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models.Gguf;

/// <summary>
/// Writes a HuggingFace-named decoder LLM (Llama, Mistral, SmolLM, Qwen2) as a GGUF file llama.cpp loads, and a
/// PEFT LoRA adapter as a GGUF adapter llama.cpp applies on top of it (what llama.cpp's <c>convert_hf_to_gguf.py</c>
/// and <c>convert_lora_to_gguf.py</c> produce).
/// </summary>
public static partial class GgufModelExport
{
    /// <summary>
    /// Writes the model in <paramref name="tensors"/> (HuggingFace names, any float dtype) to <paramref name="path"/>.
    /// 2-D weights are stored as <paramref name="type"/>; norms, biases and <c>rope_freqs</c> stay F32; with Q8_0 a
    /// weight whose rows are not a multiple of 32 is stored as F16 (as llama.cpp's converter does). Throws, naming the
    /// tensor, for a missing, unknown or misshapen tensor; nothing is written then.
    /// </summary>
    public static void WriteModel(string path, GgufModelSpec spec, IReadOnlyDictionary<string, Tensor> tensors, GgufTensorType type)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tensors);
        spec.Validate();
        if (spec.Tokenizer is null)
            throw new ArgumentException("GgufModelSpec.Tokenizer is required for a model file: llama.cpp refuses to load a model without tokenizer.ggml.model.", nameof(spec));
        using var scope = NewDisposeScope(); // the reordered q/k copies and rope_freqs live until the file is written
        var writer = new GgufWriter();
        string arch = spec.ArchitectureName;
        writer.Add("general.architecture", GgufValue.String(arch));
        if (spec.Name is { } name) writer.Add("general.name", GgufValue.String(name));
        writer.Add("general.file_type", GgufValue.UInt32(FileType(type)));
        AddHyperparameters(writer, spec);
        AddTokenizer(writer, spec, spec.Tokenizer);

        var missing = HuggingFaceGgufNames.Required(spec).Where(n => !tensors.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"GGUF export of a {arch} model needs tensor(s) {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")}.", nameof(tensors));

        foreach (var (hfName, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (HuggingFaceGgufNames.IsIgnored(hfName)) continue;
            if (hfName == "lm_head.weight" && spec.TieWordEmbeddings)
            {
                // llama.cpp reuses token_embd; dropping an lm_head that differs would change the model silently.
                Tensor embedding = tensors["model.embed_tokens.weight"];
                if (!tensor.shape.SequenceEqual(embedding.shape) || !tensor.to(ScalarType.Float64).allclose(embedding.to(ScalarType.Float64), rtol: 0, atol: 0))
                    throw new ArgumentException("GgufModelSpec.TieWordEmbeddings is true but 'lm_head.weight' differs from 'model.embed_tokens.weight'.", nameof(tensors));
                continue;
            }
            GgufTensorMapping mapping = HuggingFaceGgufNames.Map(hfName, spec)
                ?? throw new ArgumentException($"Tensor '{hfName}' is not part of a {arch} model with {spec.Layers} layers as llama.cpp reads it; refusing to drop it silently.", nameof(tensors));
            CheckShape(hfName, tensor, mapping.Shape);
            Tensor stored = mapping.PermuteHeads > 0 ? RotaryRowOrder.ToAdjacentPairs(tensor.detach(), mapping.PermuteHeads) : tensor;
            writer.AddTensor(mapping.GgufName, stored, StorageType(stored, type));
        }
        if (spec.RopeScaling is GgufLlama3RopeScaling llama3)
            writer.AddTensor("rope_freqs.weight", tensor(Llama3RopeFactors(spec, llama3)), GgufTensorType.F32);
        writer.Write(path);
    }

    /// <summary>
    /// Writes a LoRA adapter for the model <paramref name="spec"/> describes: <paramref name="loraTensors"/> are PEFT's
    /// (<c>[base_model.model.]model.layers.0.self_attn.q_proj.lora_A.weight</c> [r, in] and <c>….lora_B.weight</c>
    /// [out, r]). llama.cpp adds <c>(alpha / r) · B · A</c> to each weight, as PEFT does. For <c>llama</c> the B rows of
    /// q/k get the base weight's reordering. Every module must have rank <paramref name="rank"/>.
    /// </summary>
    public static void WriteLoraAdapter(string path, GgufModelSpec spec, double alpha, int rank, IReadOnlyDictionary<string, Tensor> loraTensors, GgufTensorType type = GgufTensorType.F32)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(loraTensors);
        spec.Validate();
        if (rank <= 0) throw new ArgumentOutOfRangeException(nameof(rank), rank, "LoRA rank must be positive.");
        if (!double.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "LoRA alpha must be finite.");
        using var scope = NewDisposeScope();
        var writer = new GgufWriter();
        writer.Add("general.architecture", GgufValue.String(spec.ArchitectureName));
        writer.Add("general.type", GgufValue.String("adapter"));
        if (spec.Name is { } name) writer.Add("general.name", GgufValue.String(name));
        writer.Add("adapter.type", GgufValue.String("lora"));
        writer.Add("adapter.lora.alpha", GgufValue.Float32((float)alpha));

        var modules = new SortedDictionary<string, (Tensor? A, Tensor? B)>(StringComparer.Ordinal);
        foreach (var (key, value) in loraTensors)
        {
            Match m = LoraKey().Match(key);
            if (!m.Success)
                throw new ArgumentException($"LoRA tensor '{key}' is not named '<module>.lora_A.weight' or '<module>.lora_B.weight'.", nameof(loraTensors));
            string module = m.Groups[1].Value;
            modules.TryGetValue(module, out var pair);
            modules[module] = m.Groups[2].Value == "A" ? (value, pair.B) : (pair.A, value);
        }
        if (modules.Count == 0) throw new ArgumentException("The adapter has no LoRA tensors.", nameof(loraTensors));

        foreach (var (module, (a, b)) in modules)
        {
            if (a is null || b is null)
                throw new ArgumentException($"LoRA module '{module}' has only lora_{(a is null ? "B" : "A")}.", nameof(loraTensors));
            GgufTensorMapping mapping = HuggingFaceGgufNames.Map(module + ".weight", spec) is { Shape.Length: 2 } found
                ? found
                : throw new ArgumentException($"LoRA module '{module}' is not a linear layer of a {spec.ArchitectureName} model llama.cpp can adapt (q/k/v/o, gate/up/down, lm_head).", nameof(loraTensors));
            if (module == "lm_head" && spec.TieWordEmbeddings)
                throw new ArgumentException("LoRA on lm_head of a model with tied embeddings cannot be exported: llama.cpp's output reuses token_embd.", nameof(loraTensors));
            CheckShape(module + ".lora_A.weight", a, [rank, mapping.Shape[1]]);
            CheckShape(module + ".lora_B.weight", b, [mapping.Shape[0], rank]);
            Tensor storedB = mapping.PermuteHeads > 0 ? RotaryRowOrder.ToAdjacentPairs(b.detach(), mapping.PermuteHeads) : b;
            writer.AddTensor(mapping.GgufName + ".lora_a", a, type);
            writer.AddTensor(mapping.GgufName + ".lora_b", storedB, type);
        }
        writer.Write(path);
    }

    /// <summary>
    /// Llama 3's per-frequency divisors (the <c>rope_freqs</c> tensor llama.cpp divides each frequency by), from
    /// transformers' <c>_compute_llama3_parameters</c>: 1 for short wavelengths, <c>factor</c> for long ones, and
    /// <c>1 / ((1 − s) / factor + s)</c> between, <c>s = (original / wavelength − low) / (high − low)</c>.
    /// </summary>
    internal static float[] Llama3RopeFactors(GgufModelSpec spec, GgufLlama3RopeScaling s)
    {
        double original = s.OriginalMaxPositionEmbeddings;
        double lowFreqWavelength = original / s.LowFreqFactor, highFreqWavelength = original / s.HighFreqFactor;
        var factors = new float[spec.HeadDim / 2];
        for (int i = 0; i < factors.Length; i++)
        {
            double frequency = 1.0 / Math.Pow(spec.RopeTheta, 2.0 * i / spec.HeadDim);
            double wavelength = 2 * Math.PI / frequency;
            double smooth = (original / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
            factors[i] = (float)(wavelength < highFreqWavelength ? 1.0
                : wavelength > lowFreqWavelength ? s.Factor
                : 1.0 / ((1 - smooth) / s.Factor + smooth));
        }
        return factors;
    }

    [GeneratedRegex(@"^(?:base_model\.model\.)?(.+)\.lora_(A|B)\.weight$")]
    private static partial Regex LoraKey();

    private static void AddHyperparameters(GgufWriter writer, GgufModelSpec spec)
    {
        string a = spec.ArchitectureName + ".";
        writer.Add(a + "vocab_size", GgufValue.UInt32((uint)spec.VocabSize));
        writer.Add(a + "context_length", GgufValue.UInt32((uint)spec.ContextLength));
        writer.Add(a + "embedding_length", GgufValue.UInt32((uint)spec.HiddenSize));
        writer.Add(a + "block_count", GgufValue.UInt32((uint)spec.Layers));
        writer.Add(a + "feed_forward_length", GgufValue.UInt32((uint)spec.IntermediateSize));
        writer.Add(a + "attention.head_count", GgufValue.UInt32((uint)spec.Heads));
        writer.Add(a + "attention.head_count_kv", GgufValue.UInt32((uint)spec.KvHeads));
        writer.Add(a + "attention.key_length", GgufValue.UInt32((uint)spec.HeadDim));
        writer.Add(a + "attention.value_length", GgufValue.UInt32((uint)spec.HeadDim));
        writer.Add(a + "attention.layer_norm_rms_epsilon", GgufValue.Float32((float)spec.RmsNormEps));
        writer.Add(a + "rope.freq_base", GgufValue.Float32((float)spec.RopeTheta));
        writer.Add(a + "rope.dimension_count", GgufValue.UInt32((uint)spec.HeadDim));
        if (spec.RopeScaling is GgufLinearRopeScaling linear)
        {
            writer.Add(a + "rope.scaling.type", GgufValue.String("linear"));
            writer.Add(a + "rope.scaling.factor", GgufValue.Float32((float)linear.Factor));
        }
    }

    private static void AddTokenizer(GgufWriter writer, GgufModelSpec spec, GgufTokenizer tok)
    {
        // An embedding larger than the vocabulary (common: rows rounded up) gets placeholder tokens, as the HF
        // converter writes them, because llama.cpp takes the vocabulary size from the token list.
        var tokens = tok.Tokens.ToList();
        var types = (tok.TokenTypes ?? Enumerable.Repeat(GgufTokenType.Normal, tokens.Count).ToList()).Select(t => (int)t).ToList();
        var scores = tok.Scores?.ToList();
        for (int i = tokens.Count; i < spec.VocabSize; i++)
        {
            tokens.Add($"[PAD{i}]");
            types.Add((int)GgufTokenType.Unused);
            scores?.Add(-1000f);
        }
        writer.Add("tokenizer.ggml.model", GgufValue.String(tok.Model));
        if (tok.PreTokenizer is { } pre) writer.Add("tokenizer.ggml.pre", GgufValue.String(pre));
        writer.Add("tokenizer.ggml.tokens", GgufValue.Array(tokens));
        if (scores is not null) writer.Add("tokenizer.ggml.scores", GgufValue.Array(scores));
        writer.Add("tokenizer.ggml.token_type", GgufValue.Array(types));
        if (tok.Merges is { } merges) writer.Add("tokenizer.ggml.merges", GgufValue.Array(merges));
        if (spec.BosTokenId is { } bos) writer.Add("tokenizer.ggml.bos_token_id", GgufValue.UInt32((uint)bos));
        if (spec.EosTokenId is { } eos) writer.Add("tokenizer.ggml.eos_token_id", GgufValue.UInt32((uint)eos));
        if (tok.UnknownTokenId is { } unk) writer.Add("tokenizer.ggml.unknown_token_id", GgufValue.UInt32((uint)unk));
        if (tok.PaddingTokenId is { } pad) writer.Add("tokenizer.ggml.padding_token_id", GgufValue.UInt32((uint)pad));
        // A model without a BOS id says add_bos_token = false explicitly instead of leaving it to llama.cpp's default
        // for the vocabulary type (which comes with a default BOS id of its own, 11 for gpt2).
        if ((tok.AddBosToken ?? (spec.BosTokenId is null ? false : null)) is { } addBos)
            writer.Add("tokenizer.ggml.add_bos_token", GgufValue.Bool(addBos));
        if (tok.AddSpacePrefix is { } spacePrefix) writer.Add("tokenizer.ggml.add_space_prefix", GgufValue.Bool(spacePrefix));
        if (tok.ChatTemplate is { } template) writer.Add("tokenizer.chat_template", GgufValue.String(template));
    }

    private static void CheckShape(string name, Tensor tensor, long[] expected)
    {
        if (!tensor.shape.SequenceEqual(expected))
            throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(", ", tensor.shape)}]; the spec implies [{string.Join(", ", expected)}].");
    }

    /// <summary>1-D tensors stay F32 (llama.cpp requires it of norms); Q8_0 falls back to F16 where rows do not fill blocks of 32.</summary>
    private static GgufTensorType StorageType(Tensor tensor, GgufTensorType requested) =>
        tensor.dim() < 2 ? GgufTensorType.F32
        : requested == GgufTensorType.Q8_0 && tensor.shape[^1] % GgufTensorEncoder.Q8BlockSize != 0 ? GgufTensorType.F16
        : requested;

    /// <summary><c>general.file_type</c> (llama.cpp's <c>llama_ftype</c>): all F32, mostly F16, mostly Q8_0.</summary>
    private static uint FileType(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => 0,
        GgufTensorType.F16 => 1,
        GgufTensorType.Q8_0 => 7,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported GGUF tensor type."),
    };
}
