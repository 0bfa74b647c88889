using LoraSdk.Data;

namespace LoraSdk.Training.Tests.Data;

public class PlainTextAndEncodingTests
{
    [Fact]
    public void LinesModeGivesOneExamplePerNonBlankLine()
    {
        using var folder = new TempFolder();
        var path = folder.File("lines.txt", "first\n\nsecond\n");
        Assert.Equal([("first", 1), ("second", 3)], PlainTextReader.Read(path).Select(r => (r.Text, r.Line)));
    }

    [Fact]
    public void CorpusIsCutIntoFullBlocks()
    {
        using var folder = new TempFolder();
        var path = folder.File("corpus.txt", "abcdefg\nhij");
        var records = PlainTextReader.Read(path, TextFileMode.Corpus);
        var blocks = DatasetEncoder.EncodeBlocks(records, new ByteTokenizer(appendEndOfText: false), blockLength: 4);
        // "abcdefg\nhij" is 11 bytes: two blocks of 4, the last 3 bytes dropped.
        Assert.Equal([[97, 98, 99, 100], [101, 102, 103, 10]], blocks.Select(b => b.TokenIds));
    }

    [Fact]
    public void FormatFollowsTheExtension()
    {
        Assert.Equal(DatasetFormat.Jsonl, DatasetReader.ResolveFormat("a/b.JSONL", DatasetFormat.Auto));
        Assert.Equal(DatasetFormat.Csv, DatasetReader.ResolveFormat("b.csv", DatasetFormat.Auto));
        Assert.Equal(DatasetFormat.Text, DatasetReader.ResolveFormat("b.txt", DatasetFormat.Auto));
        Assert.Equal(DatasetFormat.Csv, DatasetReader.ResolveFormat("b.txt", DatasetFormat.Csv));
    }

    [Fact]
    public void EncodingTruncatesAndMapsLabels()
    {
        var records = new[] { new TextRecord("abcdef", "b", "f", 1), new TextRecord("xy", "a", "f", 2) };
        var labels = LabelSet.FromRecords(records);
        var encoded = DatasetEncoder.Encode(records, new ByteTokenizer(), maxLength: 4, labels);
        Assert.Equal([[97, 98, 99, 100], [120, 121, ByteTokenizer.EndOfText]], encoded.Select(e => e.TokenIds));
        Assert.Equal([1, 0], encoded.Select(e => e.Label));
    }

    [Fact]
    public void UnknownLabelIsLora203WithFileAndLine()
    {
        var labels = new LabelSet(["cat", "dog"]);
        var error = Assert.Throws<LoraInputException>(() =>
            DatasetEncoder.Encode([new TextRecord("x", "cat", "val.jsonl", 1), new TextRecord("y", "bird", "val.jsonl", 7)], new ByteTokenizer(), 8, labels));
        Assert.Equal("val.jsonl(7,1): error LORA203: unknown label \"bird\" (known labels: cat, dog).", error.CanonicalMessage);
    }

    [Fact]
    public void ByteTokenizerRoundTripsUtf8()
    {
        var tokenizer = new ByteTokenizer();
        var ids = tokenizer.Encode("héllo");
        Assert.Equal(7, ids.Count); // é is two bytes, plus end-of-text
        Assert.Equal("héllo", tokenizer.Decode(ids));
    }

    [Fact]
    public void Gpt2TokenizerGivesGpt2Ids()
    {
        var tokenizer = new Gpt2Tokenizer();
        // Ids from GPT-2's published vocabulary: "Hello" = 15496, " world" = 995.
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
        Assert.Equal("Hello world", tokenizer.Decode([15496, 995]));
    }

    [Fact]
    public void WordPieceSplitsUnknownWordsIntoPieces()
    {
        using var folder = new TempFolder();
        var vocab = folder.File("vocab.txt", string.Join('\n', "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "play", "##ing", "!"));
        var tokenizer = new WordPieceTokenizer(vocab);
        Assert.Equal([2, 5, 6, 7, 8, 3], tokenizer.Encode("Hello playing!"));
        Assert.Equal(0, tokenizer.PaddingId);
        Assert.Equal(9, tokenizer.VocabularySize);
    }
}
