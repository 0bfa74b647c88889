using System.Text;

namespace LoraSdk.Models;

/// <summary>A tokenizer.json <c>decoder</c> step: HF's decode_chain, tokens in, tokens out; the result is joined at the end.</summary>
internal interface ITokenDecoder
{
    List<string> Decode(List<string> tokens);
}

/// <summary>Reads tokenizer.json's <c>decoder</c>: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace.</summary>
internal static class TokenDecoders
{
    private const string Supported = "Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace";

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    public static ITokenDecoder? Read(TokenizerJson? json)
    {
        if (json is not { } node) return null;
        var type = node.Type();
        return type switch
        {
            "Sequence" => new SequenceDecoder(node.Required("decoders").Items().Select(d => Read(d)!).ToArray()),
            "ByteLevel" => new ByteLevelDecoder(),
            "Replace" => new ReplaceDecoder(TextPattern.Read(node.Required("pattern")), node.Required("content").String()),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(StripContent(node), node.Required("start").Int(), node.Required("stop").Int()),
            "Metaspace" => new MetaspaceDecoder(PreTokenizers.MetaspaceReplacement(node), PreTokenizers.MetaspaceScheme(node) != MetaspacePrepend.Never),
            _ => throw node.Unsupported(type, Supported),
        };
    }

    private static string StripContent(TokenizerJson node)
    {
        var content = node.Required("content");
        var text = content.String();
        if (text.EnumerateRunes().Count() != 1) throw content.Error($"must be one character, not \"{text}\"");
        return text;
    }

    private sealed record SequenceDecoder(ITokenDecoder[] Steps) : ITokenDecoder
    {
        public List<string> Decode(List<string> tokens) => Steps.Aggregate(tokens, (current, step) => step.Decode(current));
    }

    private sealed class ByteLevelDecoder : ITokenDecoder
    {
        public List<string> Decode(List<string> tokens)
        {
            var bytes = new List<byte>();
            foreach (var token in tokens) ByteLevelAlphabet.AppendBytes(token, bytes);
            return [Encoding.UTF8.GetString(bytes.ToArray())];
        }
    }

    private sealed record ReplaceDecoder(TextPattern Pattern, string Content) : ITokenDecoder
    {
        public List<string> Decode(List<string> tokens) => tokens.Select(t => Pattern.ReplaceAll(t, Content)).ToList();
    }

    // Runs of <0xHH> tokens become their UTF-8 text; a run that is not valid UTF-8 becomes one U+FFFD per byte (HF).
    private sealed class ByteFallbackDecoder : ITokenDecoder
    {
        public List<string> Decode(List<string> tokens)
        {
            var result = new List<string>();
            var pending = new List<byte>();
            void Flush()
            {
                if (pending.Count == 0) return;
                try { result.Add(StrictUtf8.GetString(pending.ToArray())); }
                catch (DecoderFallbackException) { result.AddRange(Enumerable.Repeat("\uFFFD", pending.Count)); }
                pending.Clear();
            }
            foreach (var token in tokens)
            {
                if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>' &&
                    byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
                {
                    pending.Add(b);
                    continue;
                }
                Flush();
                result.Add(token);
            }
            Flush();
            return result;
        }
    }

    private sealed class FuseDecoder : ITokenDecoder
    {
        public List<string> Decode(List<string> tokens) => [string.Concat(tokens)];
    }

    // Removes up to Start leading and Stop trailing occurrences of Content from each token.
    private sealed record StripDecoder(string Content, int Start, int Stop) : ITokenDecoder
    {
        public List<string> Decode(List<string> tokens) => tokens.Select(Strip).ToList();

        private string Strip(string token)
        {
            var runes = token.EnumerateRunes().Select(r => r.ToString()).ToList();
            var from = 0;
            while (from < Start && from < runes.Count && runes[from] == Content) from++;
            var to = runes.Count;
            while (runes.Count - to < Stop && to > from && runes[to - 1] == Content) to--;
            return string.Concat(runes.Skip(from).Take(to - from));
        }
    }

    // The replacement character becomes a space, except in the first token, where (unless the scheme is "never")
    // it is dropped: it stands for the space the pre-tokenizer prepended.
    private sealed record MetaspaceDecoder(string Replacement, bool DropInFirst) : ITokenDecoder
    {
        public List<string> Decode(List<string> tokens) =>
            tokens.Select((token, i) => token.Replace(Replacement, i == 0 && DropInFirst ? "" : " ", StringComparison.Ordinal)).ToList();
    }
}
