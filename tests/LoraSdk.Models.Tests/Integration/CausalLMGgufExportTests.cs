using System.Text.Json.Nodes;
using LoraSdk.Models.Gguf;
using LoraSdk.Models.Tests.Gguf;
using LoraSdk.Models.Tests.Tokenization;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Integration;

/// <summary>
/// <see cref="CausalLM.ExportGguf"/> and <see cref="CausalLM.ExportGgufAdapter"/> beyond plain parity: a quantized
/// base, the pre-tokenizer name read from tokenizer.json, and what is refused (no tokenizer, an unknown split, an
/// adapter whose scalings differ per module), leaving no file behind.
/// </summary>
public sealed class CausalLMGgufExportTests
{
    [Fact]
    public void Nf4_base_exports_its_dequantized_weights_with_the_adapter_folded_in()
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, "llama-gqa", new CausalLMLoadOptions { Base = LoraBase.Nf4 });
        CausalLMLlamaCppParityTests.RandomizeAdapters(model, seed: 5);
        string path = dir.File("nf4.gguf");
        model.ExportGguf(path, GgufTensorType.F32);
        using var llama = LlamaCppModel.Load(path);
        foreach (int[] prompt in TinyCausalLMs.Prompts(seed: 3))
        {
            using var scope = NewDisposeScope();
            double error = GgufParityAssert.MaxRelativeError(llama.Logits(prompt), TinyCausalLMs.Logits(model, prompt));
            Assert.True(error <= 1e-4, $"NF4 base, prompt of {prompt.Length}: relative error {error:E2}");
        }
    }

    [Theory]
    [InlineData("llama3", "llama-bpe")]
    [InlineData("qwen2", "qwen2")]
    [InlineData("smollm", "smollm")]
    [InlineData("gpt2", "gpt-2")]
    public void Pre_tokenizer_name_is_recognised_from_tokenizer_json(string layout, string expected)
    {
        JsonNode preTokenizer = layout switch
        {
            "llama3" => Sequence(TokenizerFolders.SplitRegex(GgufPreTokenizerName.Llama3Pattern), TokenizerFolders.ByteLevel(useRegex: false)),
            "qwen2" => Sequence(TokenizerFolders.SplitRegex(GgufPreTokenizerName.Qwen2Pattern), TokenizerFolders.ByteLevel(useRegex: false)),
            "smollm" => Sequence(new JsonObject { ["type"] = "Digits", ["individual_digits"] = true }, TokenizerFolders.ByteLevel(useRegex: true)),
            _ => TokenizerFolders.ByteLevel(useRegex: true),
        };
        using var folder = TokenizerFolders.Write(("tokenizer.json", new JsonObject { ["pre_tokenizer"] = preTokenizer }));
        Assert.Equal(expected, GgufPreTokenizerName.Derive(folder.File("tokenizer.json")));
    }

    [Theory]
    [InlineData("hello world")]
    [InlineData("helloo  world!\n123 4567")]
    [InlineData(" hello, ell's")]
    public void Llama_cpp_tokenizes_the_exported_vocabulary_as_the_tokenizer_does(string text)
    {
        // Llama 3's layout (Split regex + ByteLevel, ignore_merges): recognised as "llama-bpe", which llama.cpp must then
        // apply with the same splits and merges.
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "llama3-tokenizer");
        var spec = TinyCausalLMs.Spec("llama-gqa") with { Vocab = TokenizerFolders.Word + 1 };
        using (var scope = NewDisposeScope()) spec.WriteFolder(folder, spec.RandomWeights(1), ScalarType.Float32);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TokenizerFolders.Llama3Style().ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|eot_id|>" }.ToJsonString());
        using var model = CausalLM.Load(folder);
        string path = dir.File("model.gguf");
        model.ExportGguf(path, GgufTensorType.F16);

        using var llama = LlamaCppModel.Load(path);
        Assert.Equal(model.Tokenizer!.Encode(text, addSpecialTokens: false), llama.Tokenize(text));
    }

    [Fact]
    public void Unknown_split_is_refused_naming_the_file_and_nothing_is_written()
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, "llama-gqa");
        string json = Path.Combine(model.SourceFolder!, "tokenizer.json");
        var tokenizer = JsonNode.Parse(File.ReadAllText(json))!;
        tokenizer["pre_tokenizer"] = TokenizerFolders.ByteLevel(useRegex: true, addPrefixSpace: true);
        File.WriteAllText(json, tokenizer.ToJsonString());
        string path = dir.File("model.gguf");

        var error = Assert.Throws<NotSupportedException>(() => model.ExportGguf(path, GgufTensorType.F32));
        Assert.Contains(json, error.Message);
        Assert.Contains("GgufExportOptions.PreTokenizer", error.Message);
        Assert.False(File.Exists(path));

        model.ExportGguf(path, GgufTensorType.F32, new GgufExportOptions { PreTokenizer = "gpt-2" }); // named: exported
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Model_without_a_folder_needs_a_tokenizer_given()
    {
        using var dir = new TempDirectory();
        var config = new DecoderConfig { VocabSize = 288, HiddenSize = 64, IntermediateSize = 96, NumLayers = 1, NumHeads = 4, NumKeyValueHeads = 2, HeadDim = 16, BosTokenId = 1, EosTokenIds = [2] };
        using var model = new CausalLM(config);
        string path = dir.File("model.gguf");
        var error = Assert.Throws<NotSupportedException>(() => model.ExportGguf(path, GgufTensorType.F16));
        Assert.Contains("GgufExportOptions.Tokenizer", error.Message);
        Assert.False(File.Exists(path));
        model.ExportGguf(path, GgufTensorType.F16, new GgufExportOptions { Tokenizer = TinyDecoder.Vocabulary() });
        using var llama = LlamaCppModel.Load(path);
        Assert.Equal(288, llama.VocabSize);
    }

    [Fact]
    public void Adapter_whose_modules_scale_differently_is_refused()
    {
        using var dir = new TempDirectory();
        using var model = TinyCausalLMs.Load(dir, "llama-gqa", new CausalLMLoadOptions { Rank = 4, Alpha = 8 });
        CausalLMLlamaCppParityTests.RandomizeAdapters(model, seed: 2);
        string adapter = dir.File("adapter");
        model.SaveAdapter(adapter);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")))!;
        config["alpha_pattern"] = new JsonObject { ["v_proj"] = 16 };
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"), config.ToJsonString());
        model.LoadAdapter(adapter);

        string path = dir.File("adapter.gguf");
        var error = Assert.Throws<InvalidOperationException>(() => model.ExportGgufAdapter(path));
        Assert.Contains("scaling", error.Message);
        Assert.False(File.Exists(path));
    }

    private static JsonObject Sequence(params JsonNode[] steps) => new() { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(steps) };
}
