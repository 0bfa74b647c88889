using LoraSdk.Models.Gguf;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Gguf;

/// <summary>
/// Exported GGUF files run by llama.cpp (LLamaSharp) against the float64 HF-semantics reference: every position of
/// several prompts, greedy continuations, F16/Q8_0 files and a GGUF LoRA adapter.
/// </summary>
public sealed class LlamaCppParityTests(ITestOutputHelper output)
{
    private const double F32Tolerance = 1e-4;

    public static TheoryData<string> F32Models => new() { "llama-gqa", "llama3-rope", "llama-linear-rope", "qwen2-tied-bias" };

    [Theory]
    [MemberData(nameof(F32Models))]
    public void F32_export_matches_the_float64_reference_at_every_position(string model)
    {
        var (spec, weights) = Model(model);
        using var dir = new TempDirectory();
        string path = dir.File("model.gguf");
        GgufModelExport.WriteModel(path, spec, weights, GgufTensorType.F32);

        using var llama = LlamaCppModel.Load(path);
        Assert.Equal(spec.VocabSize, llama.VocabSize);
        foreach (int[] prompt in TinyDecoder.Prompts(seed: 5))
        {
            using var scope = NewDisposeScope();
            double error = GgufParityAssert.MaxRelativeError(llama.Logits(prompt), HfDecoderReference.Logits(spec, weights, prompt));
            output.WriteLine($"{model}: {prompt.Length} tokens, max relative error {error:E2}");
            Assert.True(error <= F32Tolerance, $"{model}, prompt of {prompt.Length}: relative error {error:E2} > {F32Tolerance:E0}");
        }
    }

    [Theory]
    [MemberData(nameof(F32Models))]
    public void Greedy_continuation_is_the_reference_s(string model)
    {
        var (spec, weights) = Model(model);
        using var dir = new TempDirectory();
        string path = dir.File("model.gguf");
        GgufModelExport.WriteModel(path, spec, weights, GgufTensorType.F32);

        using var llama = LlamaCppModel.Load(path);
        foreach (int[] prompt in TinyDecoder.Prompts(seed: 9).Take(3))
        {
            int[] expected = HfDecoderReference.Greedy(spec, weights, prompt, newTokens: 12);
            Assert.Equal(expected, llama.Greedy(prompt, newTokens: 12));
        }
    }

    internal static (GgufModelSpec Spec, Dictionary<string, Tensor> Weights) Model(string name)
    {
        GgufModelSpec spec = name switch
        {
            "llama-gqa" => TinyDecoder.LlamaSpec(),
            // original_max_position_embeddings 64 puts the tiny head's frequencies in all three llama3 bands.
            "llama3-rope" => TinyDecoder.LlamaSpec(new GgufLlama3RopeScaling(Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 64)),
            "llama-linear-rope" => TinyDecoder.LlamaSpec(new GgufLinearRopeScaling(4)),
            "qwen2-tied-bias" => TinyDecoder.Qwen2Spec(),
            _ => throw new ArgumentException(name),
        };
        return (spec, TinyDecoder.Weights(spec, seed: name.Length * 31 + 7));
    }
}
