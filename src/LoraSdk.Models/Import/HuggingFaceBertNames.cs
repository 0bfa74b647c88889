namespace LoraSdk.Models;

/// <summary>
/// Maps HuggingFace <c>BertModel</c> state-dict keys to this encoder's parameter paths. The two differ only
/// where this encoder folds HuggingFace's wrapper modules into fields: <c>attention.self.query</c> →
/// <c>attention.query</c>, <c>attention.output.dense</c> → <c>attention.output</c>,
/// <c>attention.output.LayerNorm</c> → <c>attention.LayerNorm</c>, <c>intermediate.dense</c> →
/// <c>intermediate</c>, <c>output.dense</c> → <c>output</c>, <c>output.LayerNorm</c> → <c>LayerNorm</c>.
/// </summary>
public static class HuggingFaceBertNames
{
    private static readonly string[] Prefixes = ["bert.", "model.", "0.auto_model."];

    // Ordered: the attention rewrites must run before the generic output ones.
    private static readonly (string From, string To)[] Rewrites =
    [
        (".attention.self.", ".attention."),
        (".attention.output.dense.", ".attention.output."),
        (".attention.output.LayerNorm.", ".attention.LayerNorm."),
        (".intermediate.dense.", ".intermediate."),
        (".output.dense.", ".output."),
        (".output.LayerNorm.", ".LayerNorm."),
    ];

    /// <summary>
    /// The encoder parameter path for a HuggingFace key, or null for keys that are not encoder weights
    /// (pooler, position-id buffer, task heads).
    /// </summary>
    public static string? ToModulePath(string key)
    {
        foreach (var prefix in Prefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal)) key = key[prefix.Length..];
        }
        if (!key.StartsWith("embeddings.", StringComparison.Ordinal) && !key.StartsWith("encoder.layer.", StringComparison.Ordinal))
            return null;
        if (key == "embeddings.position_ids") return null;
        // Checkpoints from the TensorFlow era name LayerNorm parameters gamma/beta.
        if (key.EndsWith(".gamma", StringComparison.Ordinal)) key = key[..^".gamma".Length] + ".weight";
        else if (key.EndsWith(".beta", StringComparison.Ordinal)) key = key[..^".beta".Length] + ".bias";
        foreach (var (from, to) in Rewrites)
        {
            int at = key.IndexOf(from, StringComparison.Ordinal);
            if (at >= 0) return key[..at] + to + key[(at + from.Length)..];
        }
        return key;
    }

    // Inverse of the rewrites for the part after "encoder.layer.N.", used in error messages.
    private static readonly (string Ours, string Theirs)[] LayerParts =
    [
        ("attention.query.", "attention.self.query."),
        ("attention.key.", "attention.self.key."),
        ("attention.value.", "attention.self.value."),
        ("attention.output.", "attention.output.dense."),
        ("attention.LayerNorm.", "attention.output.LayerNorm."),
        ("intermediate.", "intermediate.dense."),
        ("output.", "output.dense."),
        ("LayerNorm.", "output.LayerNorm."),
    ];

    /// <summary>The HuggingFace key of an encoder parameter path (inverse of <see cref="ToModulePath"/>).</summary>
    public static string ToHuggingFaceKey(string path)
    {
        const string layerPrefix = "encoder.layer.";
        if (!path.StartsWith(layerPrefix, StringComparison.Ordinal)) return path;
        int dot = path.IndexOf('.', layerPrefix.Length);
        if (dot < 0) return path;
        string head = path[..(dot + 1)], rest = path[(dot + 1)..];
        foreach (var (ours, theirs) in LayerParts)
        {
            if (rest.StartsWith(ours, StringComparison.Ordinal)) return head + theirs + rest[ours.Length..];
        }
        return path;
    }

    /// <summary>Keys from a checkpoint mapped to encoder paths; unmapped keys are left out.</summary>
    public static Dictionary<string, T> Map<T>(IEnumerable<KeyValuePair<string, T>> checkpoint, out List<string> ignored)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        ignored = [];
        foreach (var (key, tensor) in checkpoint)
        {
            var path = ToModulePath(key);
            if (path is null) ignored.Add(key);
            else result[path] = tensor;
        }
        return result;
    }
}
