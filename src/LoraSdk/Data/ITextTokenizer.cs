namespace LoraSdk.Data;

/// <summary>Turns text into token ids for a model. Implementations wrap Microsoft.ML.Tokenizers or work on bytes.</summary>
public interface ITextTokenizer
{
    /// <summary>Size of the id space (the model's embedding rows must be at least this).</summary>
    int VocabularySize { get; }

    /// <summary>The id that fills padded positions (they are masked out of attention and loss).</summary>
    int PaddingId { get; }

    /// <summary>The token ids of <paramref name="text"/>, including any special tokens the scheme adds.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Text for token ids (for samples and debugging).</summary>
    string Decode(IEnumerable<int> ids);
}
