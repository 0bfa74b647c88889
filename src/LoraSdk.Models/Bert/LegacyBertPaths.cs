namespace LoraSdk.Models;

/// <summary>
/// The module paths of <see cref="BertModel"/> before it took HuggingFace's tree (LoraSdk ≤ 0.x folded
/// <c>attention.self</c>, the <c>dense</c> wrappers and the output LayerNorms into fields), mapped to the current
/// ones, so adapters saved then still load (with a warning) through <see cref="IRenamedModulePaths"/>.
/// </summary>
internal static class LegacyBertPaths
{
    public const string Summary =
        "BERT attention.query/key/value → attention.self.*, attention.output → attention.output.dense, attention.LayerNorm → attention.output.LayerNorm, " +
        "intermediate → intermediate.dense, output → output.dense, LayerNorm → output.LayerNorm";

    private const string LayerPrefix = "encoder.layer.";

    // Old → current, for the part after "encoder.layer.N."; the first match wins.
    private static readonly (string Old, string Current)[] LayerParts =
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

    /// <summary>The current path of an old <c>encoder.layer.N.…</c> path, or null for any other path.</summary>
    public static string? CurrentPath(string oldPath)
    {
        if (!oldPath.StartsWith(LayerPrefix, StringComparison.Ordinal)) return null;
        int dot = oldPath.IndexOf('.', LayerPrefix.Length);
        if (dot < 0) return null;
        string head = oldPath[..(dot + 1)], rest = oldPath[(dot + 1)..];
        foreach (var (old, current) in LayerParts)
        {
            if (rest.StartsWith(old, StringComparison.Ordinal)) return head + current + rest[old.Length..];
        }
        return null;
    }
}
