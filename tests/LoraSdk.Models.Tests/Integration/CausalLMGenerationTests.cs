using LoraSdk.Models.Tests.Decoder;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Integration;

/// <summary>
/// Text generation end to end on a CausalLM loaded from a folder with a tokenizer: the cached, batched, streamed
/// <see cref="CausalLM.Generate(string, GenerationOptions?, CancellationToken)"/> against a no-cache full-forward argmax
/// loop, unmerged, merged, on an NF4 base and with a different adapter per row.
/// </summary>
public sealed class CausalLMGenerationTests
{
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 10 };
    private static readonly string[] Prompts = ["Hi", "The quick brown fox", "ÿ€ x"];

    [Fact]
    public void Generate_text_is_the_decoded_greedy_ids_of_a_no_cache_full_forward()
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, "llama-gqa");
        var tokenizer = model.Tokenizer!;
        foreach (string prompt in Prompts)
        {
            var result = model.Generate(prompt, Greedy);
            int[] expected = FullForwardGreedy(model, tokenizer.Encode(prompt), Greedy.MaxNewTokens);
            Assert.Equal(expected, result.TokenIds);
            Assert.Equal(tokenizer.Decode(expected, skipSpecialTokens: true), result.Text);
        }
    }

    [Fact]
    public async Task GenerateAsync_pieces_concatenate_to_Generate_s_text()
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, "qwen2-tied-bias");
        foreach (string prompt in Prompts)
        {
            var pieces = new List<string>();
            await foreach (string piece in model.GenerateAsync(prompt, Greedy)) pieces.Add(piece);
            Assert.Equal(model.Generate(prompt, Greedy).Text, string.Concat(pieces));
        }
    }

    [Theory]
    [InlineData("unmerged")]
    [InlineData("merged")]
    [InlineData("nf4")]
    public void Batch_of_different_lengths_equals_each_prompt_alone_and_the_full_forward(string mode)
    {
        using var dir = new TempDirectory();
        var options = new CausalLMLoadOptions { Base = mode == "nf4" ? LoraBase.Nf4 : LoraBase.Float32 };
        using var model = TinyCausalLMs.Load(dir, "llama3-rope", options);
        CausalLMLlamaCppParityTests.RandomizeAdapters(model, seed: 7);
        var unmerged = Prompts.Select(p => model.Generate(p, Greedy).TokenIds).ToList();
        if (mode == "merged") model.MergeLoRA();

        var batch = model.Generate(Prompts, Greedy);
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(model.Generate(Prompts[i], Greedy).TokenIds, batch[i].TokenIds);
            Assert.Equal(FullForwardGreedy(model, model.Tokenizer!.Encode(Prompts[i]), Greedy.MaxNewTokens), batch[i].TokenIds);
            if (mode == "merged") Assert.Equal(unmerged[i], batch[i].TokenIds);
        }
    }

    [Fact]
    public void Adapter_per_row_generates_what_each_adapter_generates_alone()
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, "llama-gqa");
        CausalLMLlamaCppParityTests.RandomizeAdapters(model, seed: 1);
        model.AddAdapter("other", new LoraOptions(8, 16));
        using (model.UseAdapter("other")) CausalLMLlamaCppParityTests.RandomizeAdapters(model, seed: 2);
        string[] prompts = ["The quick brown fox", "Hi"];

        GenerationResult alone0, alone1;
        using (model.UseAdapter(LoraAdapter.DefaultName)) alone0 = model.Generate(prompts[0], Greedy);
        using (model.UseAdapter("other")) alone1 = model.Generate(prompts[1], Greedy);
        GenerationResult[] perRow;
        using (model.UseAdapterPerRow([LoraAdapter.DefaultName, "other"])) perRow = model.Generate(prompts, Greedy);

        Assert.Equal(alone0.TokenIds, perRow[0].TokenIds);
        Assert.Equal(alone1.TokenIds, perRow[1].TokenIds);
        using (model.UseAdapter("other")) Assert.NotEqual(alone0.TokenIds, model.Generate(prompts[0], Greedy).TokenIds); // the adapters differ
    }

    /// <summary>Greedy ids by re-running the whole sequence each step (no cache), stopping after EOS.</summary>
    private static int[] FullForwardGreedy(CausalLM model, IReadOnlyList<int> prompt, int newTokens)
    {
        var ids = prompt.ToList();
        var generated = new List<int>();
        using var _ = no_grad();
        for (int step = 0; step < newTokens; step++)
        {
            using var scope = NewDisposeScope();
            using var input = tensor(ids.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64).unsqueeze(0);
            int next = (int)model.call(input)[0, -1].argmax().item<long>();
            generated.Add(next);
            ids.Add(next);
            if (model.GenerationConfig.EosTokenIds.Contains(next)) break;
        }
        return generated.ToArray();
    }
}
