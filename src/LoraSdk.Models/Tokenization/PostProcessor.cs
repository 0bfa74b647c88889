namespace LoraSdk.Models;

/// <summary>
/// tokenizer.json's <c>post_processor</c>, reduced to what it does to the ids of one sequence: the special tokens a
/// TemplateProcessing puts around <c>$A</c> (Llama 3's &lt;|begin_of_text|&gt;). ByteLevel only trims offsets, so adds
/// nothing. Applied only when special tokens are asked for, as HF does.
/// </summary>
internal sealed class PostProcessor
{
    private readonly IReadOnlyList<int> _before;
    private readonly IReadOnlyList<int> _after;

    public PostProcessor(IReadOnlyList<int> before, IReadOnlyList<int> after) => (_before, _after) = (before, after);

    public static readonly PostProcessor None = new([], []);

    public IReadOnlyList<int> Before => _before;

    public IReadOnlyList<int> After => _after;

    public List<int> Apply(List<int> ids)
    {
        if (_before.Count == 0 && _after.Count == 0) return ids;
        var result = new List<int>(_before.Count + ids.Count + _after.Count);
        result.AddRange(_before);
        result.AddRange(ids);
        result.AddRange(_after);
        return result;
    }

    public static PostProcessor Read(TokenizerJson? json)
    {
        if (json is not { } node) return None;
        var type = node.Type();
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "Sequence":
            {
                var before = new List<int>();
                var after = new List<int>();
                foreach (var step in node.Required("processors").Items().Select(p => Read(p)))
                {
                    // Each step wraps what the previous ones built.
                    before.InsertRange(0, step._before);
                    after.AddRange(step._after);
                }
                return new PostProcessor(before, after);
            }
            case "TemplateProcessing":
                return ReadTemplate(node);
            default:
                throw node.Unsupported(type, "TemplateProcessing, ByteLevel, Sequence");
        }
    }

    private static PostProcessor ReadTemplate(TokenizerJson node)
    {
        var specials = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        if (node.Optional("special_tokens") is { } map)
        {
            foreach (var (name, special) in map.Properties())
                specials[name] = special.Required("ids").Items().Select(i => i.Int()).ToList();
        }
        var before = new List<int>();
        var after = new List<int>();
        var seenSequence = false;
        foreach (var item in node.Required("single").Items())
        {
            if (item.Optional("Sequence") is { } sequence)
            {
                var id = sequence.Required("id").String();
                if (id != "A" || seenSequence) throw sequence.Error($"names sequence \"{id}\": a single-sequence template must name $A once");
                seenSequence = true;
            }
            else if (item.Optional("SpecialToken") is { } special)
            {
                var id = special.Required("id").String();
                if (!specials.TryGetValue(id, out var ids)) throw special.Error($"names \"{id}\", which post_processor.special_tokens does not define");
                (seenSequence ? after : before).AddRange(ids);
            }
            else
            {
                throw item.Error("must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
            }
        }
        if (!seenSequence) throw node.Error("single template has no $A");
        return new PostProcessor(before, after);
    }
}
