using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// Maps the keys of an adapter file written with a model's old module paths to the current ones, through the
/// <see cref="IRenamedModulePaths"/> modules of the model. Only keys the model lacks are renamed, and only onto
/// keys the model has and the file does not, so a current file is never touched.
/// </summary>
internal static class LegacyAdapterKeys
{
    /// <summary>File key → current key for every renamed key; empty when nothing needed renaming.</summary>
    public static Dictionary<string, string> Renames(nn.Module model, IEnumerable<string> fileKeys, IReadOnlySet<string> expected)
    {
        var renames = new Dictionary<string, string>(StringComparer.Ordinal);
        var renamers = Renamers(model);
        if (renamers.Count == 0) return renames;
        var present = fileKeys.ToHashSet(StringComparer.Ordinal);
        foreach (var key in present.Where(k => !expected.Contains(k)))
        {
            foreach (var (prefix, renamer) in renamers)
            {
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
                var current = renamer.CurrentPath(key[prefix.Length..]);
                if (current is null) continue;
                var currentKey = prefix + current;
                if (expected.Contains(currentKey) && !present.Contains(currentKey)) renames[key] = currentKey;
                break;
            }
        }
        return renames;
    }

    /// <summary>The one warning line for a load that renamed keys.</summary>
    public static string Warning(nn.Module model, string folder, int count) =>
        $"warning: {folder}: {count} tensor key(s) use module paths of an earlier LoraSdk version " +
        $"({string.Join("; ", Renamers(model).Select(r => r.Renamer.RenameSummary).Distinct())}); loaded under the current names. " +
        "Save the adapter again to write the current names (which Python PEFT expects).";

    /// <summary>Each renaming module with its file-key prefix (longest first, so the innermost module decides).</summary>
    private static List<(string Prefix, IRenamedModulePaths Renamer)> Renamers(nn.Module model)
    {
        var result = new List<(string, IRenamedModulePaths)>();
        if (model is IRenamedModulePaths root) result.Add((PeftKeys.Prefix, root));
        foreach (var (name, module) in model.named_modules())
            if (name.Length > 0 && module is IRenamedModulePaths renamer) result.Add((PeftKeys.Prefix + name + ".", renamer));
        return result.OrderByDescending(r => r.Item1.Length).ToList();
    }
}
