namespace LoraSdk.Models;

/// <summary>
/// Normalises checkpoint keys to this encoder's parameter paths, which are HuggingFace <c>BertModel</c>'s own
/// (<c>encoder.layer.0.attention.self.query.weight</c>): only wrapper prefixes (<c>bert.</c> of a
/// <c>BertFor…</c> model, <c>model.</c>, sentence-transformers' <c>0.auto_model.</c>) and TensorFlow-era
/// LayerNorm names (<c>gamma</c>/<c>beta</c>) differ.
/// </summary>
public static class HuggingFaceBertNames
{
    private static readonly string[] Prefixes = ["bert.", "model.", "0.auto_model."];

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
        if (key.EndsWith(".gamma", StringComparison.Ordinal)) return key[..^".gamma".Length] + ".weight";
        if (key.EndsWith(".beta", StringComparison.Ordinal)) return key[..^".beta".Length] + ".bias";
        return key;
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
