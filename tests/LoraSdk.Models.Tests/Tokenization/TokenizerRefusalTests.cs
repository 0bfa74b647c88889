using System.Text.Json.Nodes;
using static LoraSdk.Models.Tests.Tokenization.TokenizerFolders;

namespace LoraSdk.Models.Tests.Tokenization;

/// <summary>What the tokenizer cannot run exactly is refused at Load, with the file and the JSON path.</summary>
public sealed class TokenizerRefusalTests
{
    private static string LoadError(JsonObject tokenizer, JsonObject? config = null)
    {
        var files = new List<(string, JsonNode)> { ("tokenizer.json", tokenizer) };
        if (config is not null) files.Add(("tokenizer_config.json", config));
        return Assert.Throws<InvalidDataException>(() => Load(files.ToArray())).Message;
    }

    [Fact]
    public void Unigram_and_WordPiece_models_are_refused()
    {
        var json = Llama3Style();
        json["model"]!["type"] = "Unigram";
        Assert.StartsWith("tokenizer.json: model.type \"Unigram\" is not supported", LoadError(json));
        json["model"]!["type"] = "WordPiece";
        Assert.StartsWith("tokenizer.json: model.type \"WordPiece\" is not supported", LoadError(json));
    }

    [Fact]
    public void Unknown_pipeline_steps_are_refused_with_their_path()
    {
        var json = Llama3Style();
        json["pre_tokenizer"]!["pretokenizers"]![1] = new JsonObject { ["type"] = "Whitespace" };
        Assert.StartsWith("tokenizer.json: pre_tokenizer.pretokenizers[1].type \"Whitespace\" is not supported", LoadError(json));

        json = Llama3Style();
        json["normalizer"] = new JsonObject { ["type"] = "Lowercase" };
        Assert.StartsWith("tokenizer.json: normalizer.type \"Lowercase\" is not supported", LoadError(json));

        json = Llama3Style();
        json["decoder"] = new JsonObject { ["type"] = "WordPiece", ["prefix"] = "##" };
        Assert.StartsWith("tokenizer.json: decoder.type \"WordPiece\" is not supported", LoadError(json));

        json = Llama3Style();
        json["post_processor"] = new JsonObject { ["type"] = "BertProcessing" };
        Assert.StartsWith("tokenizer.json: post_processor.type \"BertProcessing\" is not supported", LoadError(json));
    }

    [Fact]
    public void Bad_vocabularies_and_merges_are_refused()
    {
        var json = Llama3Style();
        json["model"]!["merges"]!.AsArray().Add("zz q");
        Assert.Contains("model.merges[18] names \"zz\", which is not in model.vocab", LoadError(json));

        json = Llama3Style();
        json["model"]!["merges"]!.AsArray().Add("a b c");
        Assert.Contains("model.merges[18] \"a b c\" must be two tokens separated by one space", LoadError(json));

        json = Llama3Style();
        json["model"]!["dropout"] = 0.1;
        Assert.Contains("model.dropout (BPE dropout) is not supported", LoadError(json));

        json = Llama3Style();
        json["model"]!["vocab"]!["duplicate"] = 5;
        Assert.Contains("model.vocab.duplicate id 5 is given to both", LoadError(json));
    }

    [Fact]
    public void Special_tokens_the_vocabulary_lacks_are_refused()
    {
        var error = LoadError(Llama3Style(), new JsonObject { ["eos_token"] = new JsonObject { ["content"] = "<|missing|>" } });
        Assert.Equal("tokenizer_config.json: eos_token \"<|missing|>\" is neither in tokenizer.json's vocab nor its added_tokens", error);
    }

    [Fact]
    public void Transformers_options_that_change_tokenization_are_refused()
    {
        var llama = new JsonObject { ["tokenizer_class"] = "LlamaTokenizerFast", ["bos_token"] = "<s>", ["add_prefix_space"] = true };
        Assert.Contains("add_prefix_space is set for a LlamaTokenizerFast", LoadError(Llama2Style(), llama));
        Assert.Equal("tokenizer_config.json: split_special_tokens is true (special tokens tokenized as text), which is not supported",
            LoadError(Llama3Style(), new JsonObject { ["split_special_tokens"] = true }));
    }

    [Fact]
    public void Added_token_ids_must_be_the_ones_HF_assigns()
    {
        // HF gives an added token missing from the vocabulary the next id after it (275 here), whatever the file says.
        var json = Llama3Style();
        json["added_tokens"]![0]!["id"] = 300;
        Assert.Contains("added_tokens[0].id is 300 for \"<|begin_of_text|>\", but HF tokenizers gives it id 275", LoadError(json));
        var config = new JsonObject { ["added_tokens_decoder"] = new JsonObject { ["290"] = Added(0, "<|new|>", special: true) } };
        Assert.Contains("added_tokens_decoder.290 gives \"<|new|>\" id 290, but with tokenizer.json's vocabulary and added_tokens it gets id 280", LoadError(Llama3Style(), config));
    }

    [Fact]
    public void A_folder_without_tokenizer_json_is_refused()
    {
        using var folder = new TempDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => HuggingFaceTokenizer.Load(folder.Path));
        Assert.Contains("no tokenizer.json", error.Message);
    }

    [Fact]
    public void Oniguruma_only_regex_syntax_is_refused()
    {
        var json = Llama3Style();
        json["pre_tokenizer"]!["pretokenizers"]![0] = SplitRegex(@"\p{Nonexistent}+");
        Assert.Contains("tokenizer.json: pre_tokenizer.pretokenizers[0].pattern.Regex regex \"\\p{Nonexistent}+\" is not one .NET can run", LoadError(json));
    }
}
