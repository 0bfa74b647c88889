using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

/// <summary>CausalLM's logits against the independent float64 reference (<see cref="DecoderReference"/>).</summary>
public sealed class DecoderForwardTests
{
    public static TheoryData<string> Families => ["llama-gqa", "llama3-rope", "linear-rope", "qwen2-bias-tied", "mistral-mha"];

    private static (TinyDecoderSpec Spec, (string, double, double, double, double)? Scaling) Family(string name) => name switch
    {
        "llama-gqa" => (new TinyDecoderSpec { Heads = 4, KvHeads = 2 }, null),
        "llama3-rope" => (new TinyDecoderSpec
        {
            Theta = 500000, Hidden = 32, Heads = 2, KvHeads = 1,
            RopeScalingJson = "{\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64, \"rope_type\": \"llama3\"}",
        }, ("llama3", 8.0, 1.0, 4.0, 64.0)),
        "linear-rope" => (new TinyDecoderSpec { RopeScalingJson = "{\"type\": \"linear\", \"factor\": 4.0}" }, ("linear", 4.0, 0, 0, 0)),
        "qwen2-bias-tied" => (new TinyDecoderSpec { ModelType = "qwen2", QkvBias = true, Tied = true, Theta = 1000000 }, null),
        "mistral-mha" => (new TinyDecoderSpec { ModelType = "mistral", Heads = 2, KvHeads = 2 }, null),
        _ => throw new ArgumentException(name),
    };

    [Theory, MemberData(nameof(Families))]
    public void Float64_logits_equal_the_reference_with_left_padding(string family)
    {
        var (spec, scaling) = Family(family);
        using var dir = new TempDirectory();
        var weights = spec.RandomWeights(seed: 7);
        using var model = DecoderTestKit.LoadTiny(dir, spec, weights);

        using var logits = model.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        using var expected = DecoderReference.Logits(spec, weights, DecoderTestKit.Ids, DecoderTestKit.Mask, scaling);
        Assert.Equal([2L, 6, spec.Vocab], logits.shape);
        Assert.True(DecoderTestKit.MaxDiffAtRealTokens(logits, expected, DecoderTestKit.Mask) < 1e-10,
            $"max diff {DecoderTestKit.MaxDiffAtRealTokens(logits, expected, DecoderTestKit.Mask)}");
        // A padded row's real tokens equal that prompt alone.
        using var alone = model.call(tensor(new long[,] { { 8, 15, 1, 30 } }));
        Assert.True((alone[0] - logits[1].narrow(0, 2, 4)).abs().max().item<double>() < 1e-10);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1)]
    [InlineData(ScalarType.Float16, 3)]
    [InlineData(ScalarType.BFloat16, 2)]
    public void Float32_model_from_F32_F16_BF16_files_single_and_sharded(ScalarType fileType, int shards)
    {
        var (spec, scaling) = Family("llama3-rope");
        using var dir = new TempDirectory();
        var weights = spec.RandomWeights(seed: 11);
        using var model = DecoderTestKit.LoadTiny(dir, spec, weights, new CausalLMLoadOptions(), fileType, shards);
        Assert.Equal(ScalarType.Float32, model.Model.EmbedTokens.weight!.dtype);

        using var logits = model.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        using var expected = DecoderReference.Logits(spec, TinyDecoderSpec.Rounded(weights, fileType), DecoderTestKit.Ids, DecoderTestKit.Mask, scaling);
        double diff = DecoderTestKit.MaxDiffAtRealTokens(logits, expected, DecoderTestKit.Mask);
        Assert.True(diff < 2e-5 * Math.Max(1, expected.abs().max().item<double>()), $"max diff {diff}");
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void Half_precision_model_stays_finite_with_left_padding_and_close_to_the_reference(ScalarType dtype)
    {
        var (spec, scaling) = Family("llama-gqa");
        using var dir = new TempDirectory();
        var weights = spec.RandomWeights(seed: 13);
        using var model = DecoderTestKit.LoadTiny(dir, spec, weights, new CausalLMLoadOptions { DType = dtype }, dtype);
        using var logits = model.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        Assert.Equal(dtype, logits.dtype);
        Assert.True(logits.isfinite().all().item<bool>(), "every position, padding included, is finite");
        using var expected = DecoderReference.Logits(spec, TinyDecoderSpec.Rounded(weights, dtype), DecoderTestKit.Ids, DecoderTestKit.Mask, scaling);
        double diff = DecoderTestKit.MaxDiffAtRealTokens(logits, expected, DecoderTestKit.Mask);
        Assert.True(diff < 0.05 * expected.abs().max().item<double>(), $"max diff {diff}");
    }

    [Fact]
    public void Config_and_generation_config_are_exposed()
    {
        var spec = new TinyDecoderSpec();
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "model");
        spec.WriteFolder(folder, spec.RandomWeights(1));
        File.WriteAllText(Path.Combine(folder, "generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": [2, 32], \"do_sample\": true}");
        using var model = CausalLM.Load(folder);
        Assert.Equal(2, model.Config.NumKeyValueHeads);
        Assert.Equal(4, model.Config.HeadDim);
        Assert.Equal([2, 32], model.GenerationConfig.EosTokenIds);
        Assert.Equal(1, model.GenerationConfig.BosTokenId);
        Assert.Equal(["q_proj", "v_proj"], model.AdaptedModules());
    }

    [Fact]
    public void Transformers_5_config_spelling_rope_parameters_and_dtype()
    {
        var (spec, scaling) = Family("llama3-rope");
        string config = spec.ConfigJson().Replace("\"rope_theta\": 500000,", "").Replace("\"torch_dtype\": \"float32\"", "\"dtype\": \"bfloat16\"")
            .Replace("\"rope_scaling\": {", "\"rope_parameters\": {\"rope_theta\": 500000.0, ");
        using var dir = new TempDirectory();
        var weights = spec.RandomWeights(seed: 3);
        string folder = Path.Combine(dir.Path, "model");
        spec.WriteFolder(folder, weights, ScalarType.Float64, configJson: config);
        using var model = CausalLM.Load(folder, new CausalLMLoadOptions { DType = ScalarType.Float64 });
        Assert.Equal("bfloat16", model.Config.StoredDType);
        Assert.Equal(500000, model.Config.RopeTheta);
        using var logits = model.call(DecoderTestKit.IdsTensor);
        using var expected = DecoderReference.Logits(spec, weights, DecoderTestKit.Ids, null, scaling);
        Assert.True(DecoderTestKit.MaxDiffAtRealTokens(logits, expected) < 1e-10);
    }
}
