using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Text → model input for uncased BERT vocabularies: Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>
/// (lower-casing, accent stripping, WordPiece), then <c>[CLS] … [SEP]</c>, truncation and padding.
/// </summary>
public sealed class BertTextEncoder
{
    private readonly BertTokenizer _tokenizer;

    public BertTextEncoder(BertTokenizer tokenizer, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        _tokenizer = tokenizer;
        MaxLength = maxLength;
    }

    /// <summary>Reads a WordPiece <c>vocab.txt</c> (one token a line); <paramref name="uncased"/> for uncased models such as MiniLM.</summary>
    public static BertTextEncoder FromVocabulary(Stream vocabulary, int maxLength = 256, bool uncased = true) =>
        new(BertTokenizer.Create(vocabulary, uncased ? UncasedOptions() : CasedOptions()), maxLength);

    /// <inheritdoc cref="FromVocabulary(Stream, int, bool)"/>
    public static BertTextEncoder FromVocabulary(string vocabularyPath, int maxLength = 256, bool uncased = true)
    {
        using var stream = File.OpenRead(vocabularyPath);
        return FromVocabulary(stream, maxLength, uncased);
    }

    /// <summary>Lower-case and strip accents (non-spacing marks after NFD), as HuggingFace's uncased BERT does.</summary>
    public static BertOptions UncasedOptions() => new()
    {
        LowerCaseBeforeTokenization = true,
        RemoveNonSpacingMarks = true,
        ApplyBasicTokenization = true,
    };

    /// <summary>Keep case and accents (cased checkpoints such as bert-base-cased).</summary>
    public static BertOptions CasedOptions() => new()
    {
        LowerCaseBeforeTokenization = false,
        RemoveNonSpacingMarks = false,
        ApplyBasicTokenization = true,
    };

    /// <summary>The longest sequence produced, special tokens included.</summary>
    public int MaxLength { get; }

    public BertTokenizer Tokenizer => _tokenizer;

    /// <summary>The ids of one text: [CLS], at most <see cref="MaxLength"/> − 2 word pieces, [SEP].</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = _tokenizer.EncodeToIds(text, addSpecialTokens: false);
        int kept = Math.Min(pieces.Count, MaxLength - 2);
        var ids = new int[kept + 2];
        ids[0] = _tokenizer.ClassificationTokenId;
        for (int i = 0; i < kept; i++) ids[i + 1] = pieces[i];
        ids[^1] = _tokenizer.SeparatorTokenId;
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
        Array.Fill(ids, _tokenizer.PaddingTokenId);
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
