using LoraSdk.Data;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Text → model input for BERT vocabularies: <see cref="WordPieceTokenizer"/> (for uncased vocabularies lower-casing,
/// accent stripping, WordPiece), then <c>[CLS] … [SEP]</c>, truncation and padding into batches.
/// </summary>
public sealed class BertTextEncoder
{
    /// <summary>Encodes with <paramref name="tokenizer"/>, truncating to <paramref name="maxLength"/> ids (at least 2: [CLS] and [SEP]).</summary>
    public BertTextEncoder(WordPieceTokenizer tokenizer, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        Tokenizer = tokenizer;
        MaxLength = maxLength;
    }

    /// <summary>Reads a WordPiece <c>vocab.txt</c> (one token a line); <paramref name="uncased"/> for uncased models such as MiniLM.</summary>
    public static BertTextEncoder FromVocabulary(Stream vocabulary, int maxLength = 256, bool uncased = true) =>
        new(WordPieceTokenizer.FromVocabulary(vocabulary, uncased), maxLength);

    /// <inheritdoc cref="FromVocabulary(Stream, int, bool)"/>
    public static BertTextEncoder FromVocabulary(string vocabularyPath, int maxLength = 256, bool uncased = true)
    {
        using var stream = File.OpenRead(vocabularyPath);
        return FromVocabulary(stream, maxLength, uncased);
    }

    /// <summary>The longest sequence produced, special tokens included.</summary>
    public int MaxLength { get; }

    /// <summary>The WordPiece tokenizer underneath.</summary>
    public WordPieceTokenizer Tokenizer { get; }

    /// <summary>The ids of one text: [CLS], at most <see cref="MaxLength"/> − 2 word pieces, [SEP].</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = Tokenizer.EncodePieces(text);
        int kept = Math.Min(pieces.Count, MaxLength - 2);
        var ids = new int[kept + 2];
        ids[0] = Tokenizer.ClassificationId;
        for (int i = 0; i < kept; i++) ids[i + 1] = pieces[i];
        ids[^1] = Tokenizer.SeparatorId;
        return ids;
    }

    /// <summary>Encodes texts and pads them to the longest one with the padding id (mask 0 there).</summary>
    public EncodedBatch EncodeBatch(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return Pad(texts.Select(Encode).ToList());
    }

    /// <summary>Pads already encoded sequences to the longest one with the padding id (mask 0 there).</summary>
    public EncodedBatch Pad(IReadOnlyList<int[]> encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.Count == 0) throw new ArgumentException("At least one sequence is needed.", nameof(encoded));
        int length = encoded.Max(e => e.Length);
        var ids = new long[encoded.Count * length];
        var mask = new long[encoded.Count * length];
        Array.Fill(ids, (long)Tokenizer.PaddingId);
        for (int row = 0; row < encoded.Count; row++)
        {
            for (int i = 0; i < encoded[row].Length; i++)
            {
                ids[row * length + i] = encoded[row][i];
                mask[row * length + i] = 1;
            }
        }
        long[] shape = [encoded.Count, length];
        return new EncodedBatch(tensor(ids, shape), tensor(mask, shape));
    }
}
