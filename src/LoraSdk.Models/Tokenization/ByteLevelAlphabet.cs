namespace LoraSdk.Models;

/// <summary>
/// GPT-2's byte ↔ character table used by the ByteLevel pre-tokenizer and decoder: the printable bytes
/// ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, the other 68 bytes map in order to U+0100, U+0101, ...
/// so every byte sequence becomes a string of visible characters (a space becomes 'Ġ', a newline 'Ċ').
/// </summary>
internal static class ByteLevelAlphabet
{
    public static readonly char[] ByteToChar = Build();

    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    private static char[] Build()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    /// <summary>The UTF-8 bytes of <paramref name="text"/> as alphabet characters.</summary>
    public static string Encode(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// Appends the bytes a token stands for. As HF's ByteLevel decoder does, a token with any character outside the
    /// alphabet (an added token such as "ñ") contributes its own UTF-8 bytes instead.
    /// </summary>
    public static void AppendBytes(string token, List<byte> bytes)
    {
        var start = bytes.Count;
        foreach (var c in token)
        {
            if (CharToByte.TryGetValue(c, out var b)) { bytes.Add(b); continue; }
            bytes.RemoveRange(start, bytes.Count - start);
            bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(token));
            return;
        }
    }
}
