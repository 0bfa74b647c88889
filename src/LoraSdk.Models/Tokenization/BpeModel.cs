using System.Text;

namespace LoraSdk.Models;

/// <summary>
/// tokenizer.json's <c>model</c> of type BPE: the vocabulary, the merges by rank, and HF's merge loop. A word starts
/// as its characters (a character missing from the vocabulary becomes its <c>&lt;0xHH&gt;</c> byte tokens under
/// <c>byte_fallback</c>, else the unknown token, else is dropped, as HF does); then the adjacent pair with the
/// lowest merge rank is merged, the leftmost on ties, until no pair has a merge.
/// </summary>
internal sealed class BpeModel
{
    private readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> _merges;
    private readonly bool _byteFallback;
    private readonly bool _ignoreMerges;
    private readonly bool _fuseUnknown;
    private readonly int? _unknownId;

    public IReadOnlyDictionary<string, int> Vocabulary { get; }

    public IReadOnlyDictionary<int, string> TokensById { get; }

    private BpeModel(Dictionary<string, int> vocabulary, Dictionary<int, string> tokensById,
        Dictionary<(int, int), (int, int)> merges, bool byteFallback, bool ignoreMerges, bool fuseUnknown, int? unknownId)
    {
        Vocabulary = vocabulary;
        TokensById = tokensById;
        _merges = merges;
        _byteFallback = byteFallback;
        _ignoreMerges = ignoreMerges;
        _fuseUnknown = fuseUnknown;
        _unknownId = unknownId;
    }

    public static BpeModel Read(TokenizerJson model)
    {
        var type = model.Optional("type")?.String() ?? "BPE";
        if (type != "BPE") throw model.Unsupported(type, "BPE; Unigram, WordPiece and WordLevel tokenizers are refused");
        if (model.Optional("dropout") is { } dropout && !(dropout.Element.ValueKind == System.Text.Json.JsonValueKind.Number && dropout.Element.GetDouble() == 0))
            throw dropout.Error("(BPE dropout) is not supported: it makes tokenization random");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (model.Optional(affix) is { } value && value.String().Length > 0)
                throw value.Error("is not supported (byte-level and SentencePiece BPE do not use it)");
        }

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokensById = new Dictionary<int, string>();
        foreach (var (token, idJson) in model.Required("vocab").Properties())
        {
            var id = idJson.Int();
            if (id < 0) throw idJson.Error("must not be negative");
            if (!tokensById.TryAdd(id, token)) throw idJson.Error($"id {id} is given to both \"{tokensById[id]}\" and \"{token}\"");
            vocabulary[token] = id;
        }

        var merges = new Dictionary<(int, int), (int, int)>();
        var rank = 0;
        foreach (var merge in model.Required("merges").Items())
        {
            var (left, right) = MergePair(merge);
            int Id(string part) => vocabulary.TryGetValue(part, out var id) ? id : throw merge.Error($"names \"{part}\", which is not in model.vocab");
            var pair = (Id(left), Id(right));
            var merged = left + right;
            if (!vocabulary.TryGetValue(merged, out var mergedId)) throw merge.Error($"makes \"{merged}\", which is not in model.vocab");
            merges[pair] = (rank, mergedId); // a pair listed twice keeps its last rank, as HF's map does
            rank++;
        }

        int? unknownId = null;
        if (model.Optional("unk_token") is { } unk)
        {
            var token = unk.String();
            unknownId = vocabulary.TryGetValue(token, out var id) ? id : throw unk.Error($"\"{token}\" is not in model.vocab");
        }
        return new BpeModel(vocabulary, tokensById, merges, model.OptionalBool("byte_fallback", false),
            model.OptionalBool("ignore_merges", false), model.OptionalBool("fuse_unk", false), unknownId);
    }

    // Merges are written "a b" (one space, as older files do) or ["a", "b"] (newer files, which allows spaces in tokens).
    private static (string Left, string Right) MergePair(TokenizerJson merge)
    {
        if (merge.Element.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            var parts = merge.String().Split(' ');
            if (parts.Length != 2) throw merge.Error($"\"{merge.String()}\" must be two tokens separated by one space");
            return (parts[0], parts[1]);
        }
        var items = merge.Items().ToList();
        if (items.Count != 2) throw merge.Error("must be a pair of tokens");
        return (items[0].String(), items[1].String());
    }

    /// <summary>The ids of one pre-tokenized word.</summary>
    public void Tokenize(string word, List<int> ids)
    {
        if (word.Length == 0) return;
        if (_ignoreMerges && Vocabulary.TryGetValue(word, out var whole))
        {
            ids.Add(whole);
            return;
        }
        Merge(InitialSymbols(word), ids);
    }

    private List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        int? pendingUnknown = null;
        for (var i = 0; i < word.Length;)
        {
            var rune = Rune.GetRuneAt(word, i);
            var text = rune.ToString();
            i += rune.Utf16SequenceLength;
            if (Vocabulary.TryGetValue(text, out var id))
            {
                if (pendingUnknown is { } unk) symbols.Add(unk);
                pendingUnknown = null;
                symbols.Add(id);
                continue;
            }
            if (_byteFallback && ByteTokens(text) is { } bytes)
            {
                // HF's order: byte tokens go in before a pending (fused) unknown is flushed.
                symbols.AddRange(bytes);
                continue;
            }
            if (_unknownId is { } unknown)
            {
                if (pendingUnknown is { } previous && !_fuseUnknown) symbols.Add(previous);
                pendingUnknown = unknown;
            }
        }
        if (pendingUnknown is { } last) symbols.Add(last);
        return symbols;
    }

    private List<int>? ByteTokens(string text)
    {
        var ids = new List<int>();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (!Vocabulary.TryGetValue($"<0x{b:X2}>", out var id)) return null;
            ids.Add(id);
        }
        return ids;
    }

    // HF's merge loop: a queue of candidate merges ordered by (rank, position), so the lowest rank goes first and the
    // leftmost on ties. Merged symbols stay at their left position in a linked list; a queued candidate is stale when
    // its symbol is gone or the pair there no longer makes the same token (HF's own test, kept for identical results).
    private void Merge(List<int> symbols, List<int> ids)
    {
        var count = symbols.Count;
        var tokens = symbols.ToArray();
        var previous = new int[count];
        var next = new int[count];
        var alive = new bool[count];
        var queue = new PriorityQueue<(int Position, int Merged), (int Rank, int Position)>();
        for (var i = 0; i < count; i++)
        {
            previous[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
            alive[i] = true;
        }
        for (var i = 0; i + 1 < count; i++) Enqueue(i);

        while (queue.TryDequeue(out var candidate, out _))
        {
            var position = candidate.Position;
            if (!alive[position] || next[position] < 0) continue;
            var right = next[position];
            if (!_merges.TryGetValue((tokens[position], tokens[right]), out var merge) || merge.Merged != candidate.Merged) continue;
            tokens[position] = merge.Merged;
            alive[right] = false;
            next[position] = next[right];
            if (next[right] >= 0) previous[next[right]] = position;
            if (previous[position] >= 0) Enqueue(previous[position]);
            if (next[position] >= 0) Enqueue(position);
        }

        for (var i = 0; i < count; i++)
        {
            if (alive[i]) ids.Add(tokens[i]);
        }

        void Enqueue(int left)
        {
            if (_merges.TryGetValue((tokens[left], tokens[next[left]]), out var merge)) queue.Enqueue((left, merge.Merged), (merge.Rank, left));
        }
    }
}
