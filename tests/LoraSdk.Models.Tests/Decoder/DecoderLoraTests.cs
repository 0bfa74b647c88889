using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

/// <summary>Adapters on the decoder's projections: numbers against the reference, merge, gradients, the KV cache, NF4.</summary>
public sealed class DecoderLoraTests
{
    private static readonly TinyDecoderSpec Spec = new() { ModelType = "qwen2", QkvBias = true, Heads = 4, KvHeads = 2 };
    private static readonly CausalLMLoadOptions AllSeven = new()
    {
        DType = ScalarType.Float64, TargetModules = CausalLMLoadOptions.AllTargetModules, Rank = 4, Alpha = 8,
    };

    [Fact]
    public void Lora_on_all_seven_projections_equals_the_reference_with_folded_weights_and_merge_unmerge_keep_it()
    {
        using var dir = new TempDirectory();
        var weights = Spec.RandomWeights(5);
        using var model = DecoderTestKit.LoadTiny(dir, Spec, weights, AllSeven);
        Assert.Equal(Spec.Layers * 7, model.ActiveLoraAdapters().Count);
        var effective = DecoderLoraKit.RandomizeAdapters(model, weights, 9);

        using var expected = DecoderReference.Logits(Spec, effective, DecoderTestKit.Ids, DecoderTestKit.Mask);
        using var unmerged = model.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        Assert.True(DecoderTestKit.MaxDiffAtRealTokens(unmerged, expected, DecoderTestKit.Mask) < 1e-10);

        model.MergeLoRA();
        using var merged = model.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        Assert.True(DecoderTestKit.MaxDiffAtRealTokens(merged, expected, DecoderTestKit.Mask) < 1e-10);
        model.UnmergeLoRA();
        using (model.DisableLoRA())
        {
            using var plain = model.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
            using var baseExpected = DecoderReference.Logits(Spec, weights, DecoderTestKit.Ids, DecoderTestKit.Mask);
            Assert.True(DecoderTestKit.MaxDiffAtRealTokens(plain, baseExpected, DecoderTestKit.Mask) < 1e-10);
        }
    }

    [Fact]
    public void Only_lora_parameters_get_gradients()
    {
        using var dir = new TempDirectory();
        using var model = DecoderTestKit.LoadTiny(dir, Spec, Spec.RandomWeights(5), AllSeven);
        DecoderLoraKit.RandomizeAdapters(model, Spec.RandomWeights(5), 3);
        model.train();
        using var logits = model.call(DecoderTestKit.IdsTensor);
        using var loss = nn.functional.cross_entropy(logits.narrow(1, 0, 5).reshape(-1, Spec.Vocab), DecoderTestKit.IdsTensor.narrow(1, 1, 5).reshape(-1));
        loss.backward();
        var lora = model.LoraParameters().Select(p => p.Name).ToHashSet();
        Assert.Equal(Spec.Layers * 7 * 2, lora.Count);
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool isLora = name.Contains("_lora.", StringComparison.Ordinal);
            Assert.Equal(isLora, parameter.requires_grad);
            if (isLora) Assert.True(parameter.grad is { } g && g.abs().sum().item<double>() > 0, name);
            else Assert.Null(parameter.grad);
        }
    }

    [Theory]
    [InlineData("unmerged")]
    [InlineData("merged")]
    [InlineData("per-row")]
    public void Cached_decoding_equals_the_full_forward_with_left_padding(string mode)
    {
        using var dir = new TempDirectory();
        using var model = DecoderTestKit.LoadTiny(dir, Spec, Spec.RandomWeights(5), AllSeven);
        DecoderLoraKit.RandomizeAdapters(model, Spec.RandomWeights(5), 4);
        model.eval();
        IDisposable? perRow = null;
        if (mode == "merged") model.MergeLoRA();
        if (mode == "per-row")
        {
            model.AddAdapter("other", new LoraOptions(4, 8));
            perRow = model.UseAdapterPerRow(["other", LoraAdapter.DefaultName]);
        }
        using var ids = DecoderTestKit.IdsTensor;
        using var mask = DecoderTestKit.MaskTensor;
        using var full = model.call(ids, mask);

        using var session = model.StartDecoding(2);
        var pieces = new List<Tensor> { session.Step(ids.narrow(1, 0, 3), mask.narrow(1, 0, 3)) };
        for (int i = 3; i < 6; i++) pieces.Add(session.Step(ids.narrow(1, i, 1), mask.narrow(1, 0, i + 1)));
        Assert.Equal(6, session.PastLength);
        using var cached = cat(pieces.ToArray(), 1);
        Assert.Equal(ScalarType.Float32, cached.dtype);
        // The session returns float32 logits; the forward is float64.
        Assert.True(DecoderTestKit.MaxDiffAtRealTokens(cached, full, DecoderTestKit.Mask) < 1e-5);
        perRow?.Dispose();
    }

    [Fact]
    public void Cached_steps_are_exact_in_float64()
    {
        using var dir = new TempDirectory();
        using var model = DecoderTestKit.LoadTiny(dir, Spec, Spec.RandomWeights(5), AllSeven);
        DecoderLoraKit.RandomizeAdapters(model, Spec.RandomWeights(5), 4);
        using var ids = DecoderTestKit.IdsTensor;
        using var mask = DecoderTestKit.MaskTensor;
        using var full = model.call(ids, mask);
        var caches = Enumerable.Range(0, Spec.Layers).Select(_ => new LayerKeyValues()).ToArray();
        var pieces = new List<Tensor>();
        using (no_grad())
        {
            pieces.Add(model.Head(model.Decoder.Forward(ids.narrow(1, 0, 2), mask.narrow(1, 0, 2).to_type(ScalarType.Bool), 0, caches)));
            for (int i = 2; i < 6; i++)
                pieces.Add(model.Head(model.Decoder.Forward(ids.narrow(1, i, 1), mask.narrow(1, 0, i + 1).to_type(ScalarType.Bool), i, caches)));
        }
        using var cached = cat(pieces.ToArray(), 1);
        Assert.True(DecoderTestKit.MaxDiffAtRealTokens(cached, full, DecoderTestKit.Mask) < 1e-10);
        foreach (var cache in caches) cache.Dispose();
    }

    [Fact]
    public void Nf4_quantizes_the_unadapted_projections_too()
    {
        using var dir = new TempDirectory();
        var weights = Spec.RandomWeights(6);
        using var quantized = DecoderTestKit.LoadTiny(dir, Spec, weights, new CausalLMLoadOptions { Base = LoraBase.Nf4 }, ScalarType.Float32); // q_proj, v_proj
        Assert.Equal(Spec.Layers * 7, quantized.named_buffers().Count(b => b.name.EndsWith("weight_nf4", StringComparison.Ordinal)));
        Assert.Contains(quantized.named_buffers(), b => b.name == "model.layers.0.self_attn.k_proj_base_quantized.weight_nf4");
        Assert.All(quantized.named_parameters().Where(p => p.name.EndsWith("proj.weight", StringComparison.Ordinal)), p => Assert.Equal(0, p.parameter.numel()));

        using var reference = CausalLM.Load(Path.Combine(dir.Path, "model"), new CausalLMLoadOptions { TargetModules = CausalLMLoadOptions.AllTargetModules });
        reference.QuantizeBase(LoraBase.Nf4);
        using var a = quantized.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        using var b = reference.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        Assert.Equal(0, DecoderTestKit.MaxDiffAtRealTokens(a, b, DecoderTestKit.Mask));

        // Re-targeting a quantized model is refused before anything changes.
        string adapter = Path.Combine(dir.Path, "adapter");
        reference.SaveAdapter(adapter);
        Assert.Throws<InvalidOperationException>(() => quantized.LoadAdapter(adapter));
        Assert.Equal(["q_proj", "v_proj"], quantized.AdaptedModules());
    }

    [Fact]
    public void Nf4_base_is_quantized_while_loading_and_equals_a_float_model_quantized_after()
    {
        using var dir = new TempDirectory();
        var weights = Spec.RandomWeights(5);
        var options = new CausalLMLoadOptions { TargetModules = CausalLMLoadOptions.AllTargetModules, Base = LoraBase.Nf4 };
        using var quantized = DecoderTestKit.LoadTiny(dir, Spec, weights, options, ScalarType.Float32);
        var (bytes, float32) = quantized.BaseWeightBytes();
        Assert.True(bytes < 0.2 * float32, $"{bytes} of {float32}");

        string folder = Path.Combine(dir.Path, "model");
        using var reference = CausalLM.Load(folder, options with { Base = LoraBase.Float32 });
        reference.QuantizeBase(LoraBase.Nf4);
        using var a = quantized.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        using var b = reference.call(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        Assert.Equal(0, DecoderTestKit.MaxDiffAtRealTokens(a, b, DecoderTestKit.Mask));
        using var session = quantized.StartDecoding(2);
        using var cached = session.Step(DecoderTestKit.IdsTensor, DecoderTestKit.MaskTensor);
        Assert.True(DecoderTestKit.MaxDiffAtRealTokens(cached, a, DecoderTestKit.Mask) < 1e-5);
    }
}

/// <summary>The SDK's trainer fine-tunes a CausalLM as it does any ILoraTrainableModel.</summary>
public sealed class DecoderTrainingTests
{
    [Fact]
    public void LoraTrainer_lowers_the_next_token_loss_and_changes_only_adapters()
    {
        var spec = new TinyDecoderSpec();
        using var dir = new TempDirectory();
        using var model = DecoderTestKit.LoadTiny(dir, spec, spec.RandomWeights(8), new CausalLMLoadOptions { Rank = 4, Alpha = 8 }, ScalarType.Float32);
        using var before = model.Model.Layers[0].SelfAttention.named_parameters().First(p => p.name == "k_proj.weight").parameter.clone();
        var data = Enumerable.Range(0, 8).Select(i => new LoraSdk.Data.EncodedExample([1, 5 + i % 3, 9, 12, 20, 2])).ToList();
        var trainer = new LoraSdk.Training.LoraTrainer(model, new LoraSdk.Training.TrainerOptions { MaxSteps = 30, BatchSize = 4, LearningRate = 2e-2, Seed = 1 });
        var result = trainer.Train(data, null, paddingId: 0);
        var losses = result.History.Where(p => p.TrainLoss is not null).Select(p => p.TrainLoss!.Value).ToList();
        Assert.True(losses[^1] < 0.7 * losses[0], string.Join(", ", losses));
        var after = model.Model.Layers[0].SelfAttention.named_parameters().First(p => p.name == "k_proj.weight").parameter;
        Assert.Equal(0f, (after - before).abs().max().item<float>());
    }
}
