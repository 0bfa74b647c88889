using System.Text;

namespace LoraSdk.Models.Tests.Generation;

/// <summary>
/// A tokenizer with one token per UTF-8 byte (ids 0-255) and three specials, so a character like "€" spans three
/// tokens: what the streaming tests need to split characters.
/// </summary>
internal sealed class ByteTokenizer : IGenerationTokenizer
{
    public const int Bos = 256, Eos = 257, Pad = 258, Vocab = 259;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens)
    {
        var ids = new List<int>();
        if (addSpecialTokens) ids.Add(Bos);
        ids.AddRange(Encoding.UTF8.GetBytes(text).Select(b => (int)b));
        return ids;
    }

    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id < 256) { bytes.Add((byte)id); continue; }
            if (skipSpecialTokens) continue;
            text.Append(Encoding.UTF8.GetString(bytes.ToArray())).Append(id switch { Bos => "<s>", Eos => "</s>", _ => "<pad>" });
            bytes.Clear();
        }
        return text.Append(Encoding.UTF8.GetString(bytes.ToArray())).ToString();
    }

    public int? BosTokenId => Bos;
    public IReadOnlyList<int> EosTokenIds => [Eos];
    public int? PadTokenId => Pad;

    public static int[] Bytes(string text) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
}
