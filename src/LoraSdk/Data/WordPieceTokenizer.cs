using Microsoft.ML.Tokenizers;

namespace LoraSdk.Data;

/// <summary>
/// BERT WordPiece from a <c>vocab.txt</c> (one token per line) through Microsoft.ML.Tokenizers'
/// <see cref="BertTokenizer"/>, <c>[CLS] … [SEP]</c> added. Uncased (the default) lower-cases and strips accents as
/// HuggingFace's uncased BERT does; cased keeps both. The one WordPiece wrapper: the trainer and the predictor
/// use it directly, LoraSdk.Models' <c>BertTextEncoder</c> adds truncation and padding on top.
/// </summary>
public sealed class WordPieceTokenizer : ITextTokenizer
{
    // In memory: the lines are counted (the id space), then the tokenizer reads them again.
    private WordPieceTokenizer(MemoryStream buffer, bool uncased)
    {
        using (var reader = new StreamReader(buffer, leaveOpen: true))
        {
            while (reader.ReadLine() is not null) VocabularySize++;
        }
        buffer.Position = 0;
        Tokenizer = BertTokenizer.Create(buffer, uncased ? UncasedOptions() : CasedOptions());
    }

    /// <summary>Reads a vocabulary file; a missing file is a <see cref="LoraInputException"/> naming it.</summary>
    public WordPieceTokenizer(string vocabularyFile, bool lowerCase = true)
        : this(ReadVocabulary(vocabularyFile), lowerCase)
    {
    }

    /// <summary>Reads a vocabulary from a stream; <paramref name="uncased"/> for uncased models such as MiniLM.</summary>
    public static WordPieceTokenizer FromVocabulary(Stream vocabulary, bool uncased = true)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var buffer = new MemoryStream();
        vocabulary.CopyTo(buffer);
        buffer.Position = 0;
        return new(buffer, uncased);
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

    /// <summary>The Microsoft.ML.Tokenizers tokenizer underneath.</summary>
    public BertTokenizer Tokenizer { get; }

    /// <summary>The number of vocabulary lines: ids run from 0 to one less.</summary>
    public int VocabularySize { get; }

    /// <inheritdoc/>
    public int PaddingId => Tokenizer.PaddingTokenId;

    /// <summary>The id of <c>[CLS]</c>, which starts every encoded text.</summary>
    public int ClassificationId => Tokenizer.ClassificationTokenId;

    /// <summary>The id of <c>[SEP]</c>, which ends every encoded text.</summary>
    public int SeparatorId => Tokenizer.SeparatorTokenId;

    /// <summary>The ids of <paramref name="text"/>: <c>[CLS]</c>, its word pieces, <c>[SEP]</c>.</summary>
    public IReadOnlyList<int> Encode(string text) => Tokenizer.EncodeToIds(text);

    /// <summary>The word-piece ids of <paramref name="text"/> alone, without <c>[CLS]</c> and <c>[SEP]</c>.</summary>
    public IReadOnlyList<int> EncodePieces(string text) => Tokenizer.EncodeToIds(text, addSpecialTokens: false);

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids) => Tokenizer.Decode(ids) ?? "";

    private static MemoryStream ReadVocabulary(string vocabularyFile) => File.Exists(vocabularyFile)
        ? new MemoryStream(File.ReadAllBytes(vocabularyFile))
        : throw new LoraInputException(LoraErrorCodes.UnreadableEncoding, vocabularyFile, 1, 1, "the vocabulary file does not exist.");
}
