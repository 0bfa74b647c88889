using LoraSdk.Models.Tests.Decoder;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Integration;

/// <summary>
/// Tiny random decoders written as HuggingFace folders (config.json, model.safetensors, a byte-level tokenizer) and
/// loaded with <see cref="CausalLM.Load"/>: the integration tests' models, one per family the issue names.
/// </summary>
internal static class TinyCausalLMs
{
    public static readonly string[] Names = ["llama-gqa", "llama3-rope", "qwen2-tied-bias"];

    public static TinyDecoderSpec Spec(string name) => name switch
    {
        // 8 query heads over 2 KV heads.
        "llama-gqa" => new TinyDecoderSpec { Vocab = TinyByteTokenizerFolder.Vocab, Hidden = 64, Intermediate = 96, Heads = 8, KvHeads = 2 },
        // original_max_position_embeddings 64 puts the head's frequencies in all three llama3 bands.
        "llama3-rope" => new TinyDecoderSpec
        {
            Vocab = TinyByteTokenizerFolder.Vocab, Hidden = 64, Intermediate = 96, Heads = 4, KvHeads = 2, Theta = 500000,
            RopeScalingJson = "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}",
        },
        "qwen2-tied-bias" => new TinyDecoderSpec
        {
            ModelType = "qwen2", Vocab = TinyByteTokenizerFolder.Vocab, Hidden = 64, Intermediate = 64, Heads = 4, KvHeads = 1,
            QkvBias = true, Tied = true, Theta = 1000000, Eps = 1e-6,
        },
        _ => throw new ArgumentException(name),
    };

    /// <summary>Writes <paramref name="name"/>'s folder under <paramref name="dir"/> (float32 file) and loads it.</summary>
    public static CausalLM Load(TempDirectory dir, string name, CausalLMLoadOptions? options = null, int seed = 0) =>
        CausalLM.Load(WriteFolder(dir, name, seed), options);

    /// <summary>Writes <paramref name="name"/>'s HF folder under <paramref name="dir"/> (float32 file) and returns its path.</summary>
    public static string WriteFolder(TempDirectory dir, string name, int seed = 0)
    {
        string folder = Path.Combine(dir.Path, name);
        var spec = Spec(name);
        using (var scope = NewDisposeScope()) spec.WriteFolder(folder, spec.RandomWeights(seed + name.Length * 31), ScalarType.Float32);
        TinyByteTokenizerFolder.Write(folder);
        return folder;
    }

    /// <summary>Prompts of 1, 7, 23 and 61 ids (bytes only, no specials), reproducible from <paramref name="seed"/>.</summary>
    public static IReadOnlyList<int[]> Prompts(int seed)
    {
        var random = new Random(seed);
        return new[] { 1, 7, 23, 61 }.Select(n => Enumerable.Range(0, n).Select(_ => random.Next(TinyByteTokenizerFolder.FirstByte, TinyByteTokenizerFolder.Vocab)).ToArray()).ToArray();
    }

    /// <summary>The model's float32 logits (t × vocab, as float64) for one prompt.</summary>
    public static Tensor Logits(CausalLM model, int[] prompt)
    {
        using var _ = no_grad();
        using var ids = tensor(prompt.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64).unsqueeze(0);
        return model.call(ids)[0].to(ScalarType.Float64);
    }
}
