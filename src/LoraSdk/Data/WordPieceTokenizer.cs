using Microsoft.ML.Tokenizers;

namespace LoraSdk.Data;

/// <summary>
/// BERT WordPiece from a <c>vocab.txt</c> (one token per line) through Microsoft.ML.Tokenizers'
/// <see cref="BertTokenizer"/>: lower-casing and basic tokenisation as uncased BERT, [CLS] … [SEP] added.
/// </summary>
public sealed class WordPieceTokenizer : ITextTokenizer
{
    private readonly BertTokenizer _tokenizer;

    public WordPieceTokenizer(string vocabularyFile, bool lowerCase = true)
    {
        if (!File.Exists(vocabularyFile))
            throw new LoraInputException(LoraErrorCodes.UnreadableEncoding, vocabularyFile, 1, 1, "the vocabulary file does not exist.");
        _tokenizer = BertTokenizer.Create(vocabularyFile, new BertOptions { LowerCaseBeforeTokenization = lowerCase });
        VocabularySize = File.ReadLines(vocabularyFile).Count();
    }

    public int VocabularySize { get; }

    public int PaddingId => _tokenizer.PaddingTokenId;

    public IReadOnlyList<int> Encode(string text) => _tokenizer.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids) ?? "";
}
