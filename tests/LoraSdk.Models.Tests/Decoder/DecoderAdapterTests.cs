using System.Text.Json;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Decoder;

/// <summary>PEFT adapter folders on the decoder: keys, target_modules, and loading that re-targets like PeftModel.from_pretrained.</summary>
public sealed class DecoderAdapterTests
{
    private static readonly TinyDecoderSpec Spec = new();

    [Fact]
    public void SaveAdapter_writes_peft_keys_and_names_and_loads_back_into_a_model_built_with_other_targets()
    {
        using var dir = new TempDirectory();
        var weights = Spec.RandomWeights(2);
        using var trained = DecoderTestKit.LoadTiny(dir, Spec, weights, new CausalLMLoadOptions { DType = ScalarType.Float64, TargetModules = ["q_proj", "down_proj"] });
        DecoderLoraKit.RandomizeAdapters(trained, weights, 1);
        string adapter = Path.Combine(dir.Path, "adapter");
        trained.SaveAdapter(adapter);

        var keys = HeaderKeys(Path.Combine(adapter, "adapter_model.safetensors"));
        Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", keys);
        Assert.Contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", keys);
        Assert.Equal(Spec.Layers * 2 * 2, keys.Count);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")));
        Assert.Equal(["down_proj", "q_proj"], config.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()!).Order());
        Assert.Equal("CAUSAL_LM", config.RootElement.GetProperty("task_type").GetString());
        Assert.Equal(Path.Combine(dir.Path, "model"), config.RootElement.GetProperty("base_model_name_or_path").GetString());

        using var fresh = CausalLM.Load(Path.Combine(dir.Path, "model"), new CausalLMLoadOptions { DType = ScalarType.Float64 }); // q_proj, v_proj
        fresh.LoadAdapter(adapter);
        Assert.Equal(["q_proj", "down_proj"], fresh.AdaptedModules());
        using var a = trained.call(DecoderTestKit.IdsTensor);
        using var b = fresh.call(DecoderTestKit.IdsTensor);
        Assert.Equal(0, DecoderTestKit.MaxDiffAtRealTokens(a, b));
    }

    private static List<string> HeaderKeys(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        using var header = JsonDocument.Parse(file.AsMemory(8, (int)BitConverter.ToUInt64(file, 0)));
        return header.RootElement.EnumerateObject().Select(e => e.Name).Where(n => n != "__metadata__").Order().ToList();
    }

    [Fact]
    public void A_hand_written_peft_folder_adapts_exactly_its_target_modules()
    {
        using var dir = new TempDirectory();
        var weights = Spec.RandomWeights(4);
        using var model = DecoderTestKit.LoadTiny(dir, Spec, weights);
        string folder = Path.Combine(dir.Path, "peft");
        Directory.CreateDirectory(folder);
        // As PEFT 0.13 writes it for target_modules=["q_proj","k_proj","v_proj","o_proj"], r=2, lora_alpha=16, with an alpha_pattern.
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), """
            {"alpha_pattern": {"o_proj": 4}, "auto_mapping": null, "base_model_name_or_path": "tiny", "bias": "none", "fan_in_fan_out": false,
             "inference_mode": true, "init_lora_weights": true, "layers_pattern": null, "layers_to_transform": null, "lora_alpha": 16,
             "lora_dropout": 0.05, "modules_to_save": null, "peft_type": "LORA", "r": 2, "rank_pattern": {}, "revision": null,
             "target_modules": ["v_proj", "k_proj", "o_proj", "q_proj"], "task_type": "CAUSAL_LM", "use_dora": false, "use_rslora": false}
            """);
        var generator = new TorchSharp.torch.Generator(17);
        var tensors = new List<(string, Tensor)>();
        var effective = weights.ToDictionary(w => w.Key, w => w.Value.clone());
        for (int layer = 0; layer < Spec.Layers; layer++)
            foreach (var (name, outWidth, inWidth) in new[] { ("q_proj", 16L, 16L), ("k_proj", 8L, 16L), ("v_proj", 8L, 16L), ("o_proj", 16L, 16L) })
            {
                string path = $"model.layers.{layer}.self_attn.{name}";
                var a = randn([2, inWidth], ScalarType.Float32, generator: generator);
                var b = randn([outWidth, 2], ScalarType.Float32, generator: generator);
                tensors.Add(($"base_model.model.{path}.lora_A.weight", a));
                tensors.Add(($"base_model.model.{path}.lora_B.weight", b));
                double scaling = (name == "o_proj" ? 4.0 : 16.0) / 2;
                effective[path + ".weight"] = effective[path + ".weight"] + b.to_type(ScalarType.Float64).matmul(a.to_type(ScalarType.Float64)) * scaling;
            }
        SafetensorsFile.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);

        model.LoadAdapter(folder);
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], model.AdaptedModules());
        Assert.Equal(Spec.Layers * 4, model.ActiveLoraAdapters().Count);
        using var logits = model.call(DecoderTestKit.IdsTensor);
        using var expected = DecoderReference.Logits(Spec, effective, DecoderTestKit.Ids);
        Assert.True(DecoderTestKit.MaxDiffAtRealTokens(logits, expected) < 1e-10);
    }

    [Fact]
    public void A_failed_load_leaves_the_previous_adapters()
    {
        using var dir = new TempDirectory();
        var weights = Spec.RandomWeights(4);
        using var model = DecoderTestKit.LoadTiny(dir, Spec, weights);
        DecoderLoraKit.RandomizeAdapters(model, weights, 2);
        using var before = model.call(DecoderTestKit.IdsTensor);
        string folder = Path.Combine(dir.Path, "bad");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["k_proj"]}""");
        SafetensorsFile.Write(Path.Combine(folder, "adapter_model.safetensors"),
            [("base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight", zeros(2, 16))]); // layer 0's B and layer 1 missing

        Assert.Throws<AdapterFormatException>(() => model.LoadAdapter(folder));
        Assert.Equal(["q_proj", "v_proj"], model.AdaptedModules());
        using var after = model.call(DecoderTestKit.IdsTensor);
        Assert.Equal(0, DecoderTestKit.MaxDiffAtRealTokens(before, after));
    }

    [Fact]
    public void Target_modules_that_no_projection_has_are_refused()
    {
        using var dir = new TempDirectory();
        using var model = DecoderTestKit.LoadTiny(dir, Spec, Spec.RandomWeights(4));
        string folder = Path.Combine(dir.Path, "lm_head");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "lm_head"]}""");
        SafetensorsFile.Write(Path.Combine(folder, "adapter_model.safetensors"), [("x", zeros(1))]);
        var error = Assert.Throws<AdapterFormatException>(() => model.LoadAdapter(folder));
        Assert.Contains("lm_head", error.Message);
        Assert.Contains("target_modules", error.Message);
    }
}
