using LoraSdk.Models.Gguf;
using LoraSdk.Models.Tests.Decoder;
using LoraSdk.Models.Tests.Gguf;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Integration;

/// <summary>
/// The item 5 against the engine: CausalLM loaded from an HF folder, exported with
/// <see cref="CausalLM.ExportGguf"/>, run by llama.cpp (LLamaSharp, F32 KV cache, flash attention off). LoraSdk's
/// float32 logits equal llama.cpp's at every position of several prompts; greedy continuations are identical; a trained
/// adapter exported with <see cref="CausalLM.ExportGgufAdapter"/> and applied by llama.cpp equals the unmerged forward,
/// and so does the merged export.
/// </summary>
public sealed class CausalLMLlamaCppParityTests(ITestOutputHelper output)
{
    private const double F32Tolerance = 1e-4;

    public static TheoryData<string> Models => new(TinyCausalLMs.Names);

    [Theory]
    [MemberData(nameof(Models))]
    public void Float32_logits_equal_llama_cpp_s_at_every_position(string name)
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, name);
        string path = dir.File("model.gguf");
        model.ExportGguf(path, GgufTensorType.F32);

        using var llama = LlamaCppModel.Load(path);
        Assert.Equal(model.Config.VocabSize, llama.VocabSize);
        foreach (int[] prompt in TinyCausalLMs.Prompts(seed: 5))
        {
            using var scope = NewDisposeScope();
            double error = GgufParityAssert.MaxRelativeError(llama.Logits(prompt), TinyCausalLMs.Logits(model, prompt));
            output.WriteLine($"{name}: {prompt.Length} tokens, max relative error {error:E2}");
            Assert.True(error <= F32Tolerance, $"{name}, prompt of {prompt.Length}: relative error {error:E2} > {F32Tolerance:E0}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Greedy_generation_equals_llama_cpp_s(string name)
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, name);
        string path = dir.File("model.gguf");
        model.ExportGguf(path, GgufTensorType.F32);

        using var llama = LlamaCppModel.Load(path);
        var options = new GenerationOptions { MaxNewTokens = 12, EosTokenIds = [] };
        foreach (int[] prompt in TinyCausalLMs.Prompts(seed: 9).Take(3))
        {
            var generated = model.Generate([prompt], options)[0].TokenIds;
            Assert.Equal(llama.Greedy(prompt, newTokens: 12), generated);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Trained_adapter_through_llama_cpp_and_merged_export_equal_the_unmerged_forward(string name)
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, name, new CausalLMLoadOptions { TargetModules = CausalLMLoadOptions.AllTargetModules, Rank = 4, Alpha = 8 });
        string basePath = dir.File("base.gguf"), adapterPath = dir.File("adapter.gguf"), mergedPath = dir.File("merged.gguf");
        RandomizeAdapters(model, seed: 3);
        using (model.DisableLoRA()) model.ExportGguf(basePath, GgufTensorType.F32); // disabled adapters: the base weights
        model.ExportGgufAdapter(adapterPath);
        model.ExportGguf(mergedPath, GgufTensorType.F32);
        Assert.All(model.ActiveLoraAdapters(), a => Assert.False(a.Adapter.IsMerged)); // export computes W + s·B·A aside

        using var withAdapter = LlamaCppModel.Load(basePath, adapterPath);
        using var merged = LlamaCppModel.Load(mergedPath);
        using var plain = LlamaCppModel.Load(basePath);
        foreach (int[] prompt in TinyCausalLMs.Prompts(seed: 11))
        {
            using var scope = NewDisposeScope();
            Tensor ours = TinyCausalLMs.Logits(model, prompt);
            double adapterError = GgufParityAssert.MaxRelativeError(withAdapter.Logits(prompt), ours);
            double mergedError = GgufParityAssert.MaxRelativeError(merged.Logits(prompt), ours);
            double baseError = GgufParityAssert.MaxRelativeError(plain.Logits(prompt), ours);
            output.WriteLine($"{name}: {prompt.Length} tokens, GGUF adapter {adapterError:E2}, merged export {mergedError:E2}, base alone {baseError:E2}");
            Assert.True(adapterError <= F32Tolerance, $"{name} GGUF adapter, prompt of {prompt.Length}: {adapterError:E2}");
            Assert.True(mergedError <= F32Tolerance, $"{name} merged export, prompt of {prompt.Length}: {mergedError:E2}");
            Assert.True(baseError > 1e-2, $"{name}: the adapter changed the logits by only {baseError:E2}; the test would not see a lost adapter.");
        }
    }

    // llama.cpp's CPU matmuls convert activations to the weight's type too (F16, or Q8_0 blocks), and these random
    // models (weights of std 0.3, sharp attention) amplify that; LlamaCppQuantizedAndLoraTests and GgufWriterTests check
    // the quantized bytes themselves. Measured (max over prompts): F16 8.3e-3, Q8_0 1.6e-1.
    [Theory]
    [InlineData(GgufTensorType.F16, 2e-2)]
    [InlineData(GgufTensorType.Q8_0, 3e-1)]
    public void Quantized_exports_load_and_stay_close(GgufTensorType type, double tolerance)
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, "llama-gqa");
        string path = dir.File("model.gguf");
        model.ExportGguf(path, type);
        using var llama = LlamaCppModel.Load(path);
        foreach (int[] prompt in TinyCausalLMs.Prompts(seed: 5))
        {
            using var scope = NewDisposeScope();
            double error = GgufParityAssert.MaxRelativeError(llama.Logits(prompt), TinyCausalLMs.Logits(model, prompt));
            output.WriteLine($"{type}: {prompt.Length} tokens, max relative error {error:E2}");
            Assert.True(error <= tolerance, $"{type}, prompt of {prompt.Length}: relative error {error:E2} > {tolerance:E0}");
        }
    }

    /// <summary>Random non-zero A and B for every adapter (a stand-in for training).</summary>
    internal static void RandomizeAdapters(CausalLM model, int seed)
    {
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (_, adapter) in model.ActiveLoraAdapters())
        {
            var linear = (LinearLoraAdapter)adapter;
            linear.LoraA.copy_(randn(linear.LoraA.shape, generator: generator) * 0.2);
            linear.LoraB.copy_(randn(linear.LoraB.shape, generator: generator) * 0.2);
        }
    }
}
