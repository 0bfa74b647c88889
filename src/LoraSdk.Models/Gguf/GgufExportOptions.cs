namespace LoraSdk.Models.Gguf;

/// <summary>What <see cref="CausalLM.ExportGguf"/> cannot always read from the model: the vocabulary and llama.cpp's pre-tokenizer name.</summary>
public sealed record GgufExportOptions
{
    /// <summary>The vocabulary to write; null: converted from the folder the model was loaded from (tokenizer.model or tokenizer.json).</summary>
    public GgufTokenizer? Tokenizer { get; init; }

    /// <summary>
    /// llama.cpp's pre-tokenizer name (<c>tokenizer.ggml.pre</c>: "llama-bpe", "qwen2", "smollm", "gpt-2", …) for a
    /// byte-level tokenizer.json; null: recognised from the file's pre_tokenizer (<see cref="GgufPreTokenizerName.Derive"/>),
    /// and refused when it is none of those.
    /// </summary>
    public string? PreTokenizer { get; init; }

    /// <summary><c>general.name</c>; null: the name of the folder the model was loaded from.</summary>
    public string? Name { get; init; }
}
