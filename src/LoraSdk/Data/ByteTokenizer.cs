using System.Text;

namespace LoraSdk.Data;

/// <summary>
/// Byte-level tokenizer for tiny models: each UTF-8 byte is its own id (0–255); 256 is padding and 257 marks
/// the end of an example. No vocabulary file, no unknown tokens.
/// </summary>
public sealed class ByteTokenizer : ITextTokenizer
{
    /// <summary>The padding id, after the 256 byte values.</summary>
    public const int Padding = 256;
    /// <summary>The id appended after each text when <see cref="AppendEndOfText"/>.</summary>
    public const int EndOfText = 257;

    /// <param name="appendEndOfText">Append <see cref="EndOfText"/> to every example (useful for language modelling).</param>
    public ByteTokenizer(bool appendEndOfText = true) => AppendEndOfText = appendEndOfText;

    /// <summary>Whether <see cref="Encode"/> ends each text with <see cref="EndOfText"/>.</summary>
    public bool AppendEndOfText { get; }

    /// <inheritdoc/>
    public int VocabularySize => 258;

    /// <inheritdoc/>
    public int PaddingId => Padding;

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new List<int>(bytes.Length + 1);
        foreach (var b in bytes) ids.Add(b);
        if (AppendEndOfText) ids.Add(EndOfText);
        return ids;
    }

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids) =>
        Encoding.UTF8.GetString(ids.Where(id => id is >= 0 and < 256).Select(id => (byte)id).ToArray());
}
