using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

/// <summary>Folders that are not a loadable model: one <see cref="ModelFolderException"/> naming the file and the key or tensor.</summary>
public sealed class DecoderFolderErrorTests
{
    private static readonly TinyDecoderSpec Spec = new();

    /// <summary>Each case: how to break a good folder, the file the error must name, and words the message must hold.</summary>
    public static TheoryData<string> Cases =>
    [
        "no-config", "no-weights", "unknown-model-type", "wrong-architecture", "missing-tensor", "extra-tensor", "wrong-shape",
        "truncated-shard", "bad-header", "shard-missing", "index-lists-absent-tensor", "unknown-rope-type", "gelu", "config-not-json",
        "hidden-size-string", "int8-tensor",
    ];

    [Theory, MemberData(nameof(Cases))]
    public void A_broken_folder_is_refused_naming_the_file_and_key(string broken)
    {
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "model");
        var weights = Spec.RandomWeights(1);
        string config = Spec.ConfigJson();
        int shards = broken is "shard-missing" or "index-lists-absent-tensor" ? 2 : 1;
        string weightsFile = Path.Combine(folder, "model.safetensors");
        switch (broken)
        {
            case "missing-tensor": weights.Remove("model.layers.1.mlp.up_proj.weight"); break;
            case "extra-tensor": weights["model.layers.0.self_attn.rotary.extra"] = zeros(3); break;
            case "wrong-shape": weights["model.layers.0.self_attn.k_proj.weight"] = zeros(16, 16, ScalarType.Float64); break;
            case "int8-tensor": weights["model.norm.weight"] = zeros(16, ScalarType.Int8); break;
            case "unknown-model-type": config = config.Replace("\"model_type\": \"llama\"", "\"model_type\": \"gemma\""); break;
            case "wrong-architecture": config = config.Replace("LlamaForCausalLM", "LlamaForSequenceClassification"); break;
            case "unknown-rope-type": config = config.Replace("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}"); break;
            case "gelu": config = config.Replace("\"silu\"", "\"gelu\""); break;
            case "config-not-json": config = "{\"model_type\": \"llama\",,}"; break;
            case "hidden-size-string": config = config.Replace("\"hidden_size\": 16", "\"hidden_size\": \"16\""); break;
        }
        Spec.WriteFolder(folder, weights.ToDictionary(w => w.Key, w => w.Value), ScalarType.Float32, shards, config);
        string? indexFile = shards > 1 ? Path.Combine(folder, "model.safetensors.index.json") : null;
        switch (broken)
        {
            case "no-config": File.Delete(Path.Combine(folder, "config.json")); break;
            case "no-weights": File.Delete(weightsFile); break;
            case "truncated-shard":
                using (var stream = new FileStream(weightsFile, FileMode.Open)) stream.SetLength(stream.Length - 10);
                break;
            case "bad-header":
                var bytes = File.ReadAllBytes(weightsFile);
                bytes[12] = (byte)'!';
                File.WriteAllBytes(weightsFile, bytes);
                break;
            case "shard-missing": File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors")); break;
            case "index-lists-absent-tensor":
                File.WriteAllText(indexFile!, File.ReadAllText(indexFile!).Replace("\"weight_map\":{", "\"weight_map\":{\"model.ghost.weight\":\"model-00001-of-00002.safetensors\","));
                break;
        }

        var (file, words) = broken switch
        {
            "no-config" => ("config.json", new[] { "missing" }),
            "no-weights" => ("model.safetensors", new[] { "model.safetensors.index.json" }),
            "unknown-model-type" => ("config.json", new[] { "model_type", "gemma" }),
            "wrong-architecture" => ("config.json", new[] { "architectures", "LlamaForSequenceClassification" }),
            "missing-tensor" => ("model.safetensors", new[] { "model.layers.1.mlp.up_proj.weight", "needs" }),
            "extra-tensor" => ("model.safetensors", new[] { "model.layers.0.self_attn.rotary.extra", "not part of this model" }),
            "wrong-shape" => ("model.safetensors", new[] { "model.layers.0.self_attn.k_proj.weight", "[16, 16]", "[8, 16]" }),
            "int8-tensor" => ("model.safetensors", new[] { "model.norm.weight", "I8" }),
            "truncated-shard" => ("model.safetensors", new[] { "truncated" }),
            "bad-header" => ("model.safetensors", new[] { "header" }),
            "shard-missing" => ("model.safetensors.index.json", new[] { "model-00002-of-00002.safetensors" }),
            "index-lists-absent-tensor" => ("model-00001-of-00002.safetensors", new[] { "model.ghost.weight" }),
            "unknown-rope-type" => ("config.json", new[] { "rope_scaling.rope_type", "yarn" }),
            "gelu" => ("config.json", new[] { "hidden_act", "gelu" }),
            "config-not-json" => ("config.json", new[] { "JSON" }),
            "hidden-size-string" => ("config.json", new[] { "hidden_size", "integer" }),
            _ => throw new ArgumentException(broken),
        };
        var error = Assert.Throws<ModelFolderException>(() => CausalLM.Load(folder));
        Assert.Equal(file, Path.GetFileName(error.File));
        Assert.StartsWith(error.File, error.Message);
        foreach (var word in words) Assert.Contains(word, error.Message);
    }

    [Fact]
    public void Mistral_sliding_window_is_refused_beyond_the_window_only()
    {
        var spec = Spec with { ModelType = "mistral", ExtraConfig = ["\"sliding_window\": 4"] };
        using var dir = new TempDirectory();
        using var model = DecoderTestKit.LoadTiny(dir, spec, spec.RandomWeights(1));
        Assert.Equal(4, model.Config.SlidingWindow);
        using var within = model.call(tensor(new long[,] { { 1, 2, 3, 4 } }));
        var error = Assert.Throws<InvalidOperationException>(() => model.call(tensor(new long[,] { { 1, 2, 3, 4, 5 } })));
        Assert.Contains("sliding_window", error.Message);
        using var session = model.StartDecoding(1);
        session.Step(tensor(new long[,] { { 1, 2, 3, 4 } }), ones(1, 4, ScalarType.Int64)).Dispose();
        Assert.Throws<InvalidOperationException>(() => session.Step(tensor(new long[,] { { 5 } }), ones(1, 5, ScalarType.Int64)));
    }

    [Fact]
    public void Qwen2_sliding_window_is_off_unless_use_sliding_window()
    {
        var spec = Spec with { ModelType = "qwen2", QkvBias = true };
        using var dir = new TempDirectory();
        using var model = DecoderTestKit.LoadTiny(dir, spec, spec.RandomWeights(1));
        Assert.Null(model.Config.SlidingWindow);
    }

    [Fact]
    public void A_tied_model_accepts_an_lm_head_copy_of_the_right_shape_and_ignores_it()
    {
        var spec = Spec with { Tied = true };
        var weights = spec.RandomWeights(2);
        weights["lm_head.weight"] = zeros(spec.Vocab, spec.Hidden, ScalarType.Float64); // ignored: the head is the embedding
        using var dir = new TempDirectory();
        using var model = DecoderTestKit.LoadTiny(dir, spec, weights);
        weights.Remove("lm_head.weight");
        using var logits = model.call(DecoderTestKit.IdsTensor);
        using var expected = DecoderReference.Logits(spec, weights, DecoderTestKit.Ids);
        Assert.True(DecoderTestKit.MaxDiffAtRealTokens(logits, expected) < 1e-10);

        using var dir2 = new TempDirectory();
        weights["lm_head.weight"] = zeros(3, spec.Hidden, ScalarType.Float64);
        var error = Assert.Throws<ModelFolderException>(() => DecoderTestKit.LoadTiny(dir2, spec, weights));
        Assert.Contains("lm_head.weight", error.Message);
    }

    [Fact]
    public void Missing_num_key_value_heads_means_one_per_head()
    {
        var spec = Spec with { KvHeads = Spec.Heads };
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "model");
        spec.WriteFolder(folder, spec.RandomWeights(3), ScalarType.Float32, configJson: spec.ConfigJson().Replace($"\"num_key_value_heads\": {spec.Heads},", ""));
        using var model = CausalLM.Load(folder);
        Assert.Equal(spec.Heads, model.Config.NumKeyValueHeads);
    }
}
