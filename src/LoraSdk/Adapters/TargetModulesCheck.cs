using System.Text.RegularExpressions;

namespace LoraSdk;

/// <summary>
/// Names the <c>target_modules</c> entries of an adapter config that match none of the model's adapted layers.
/// Such a file still loads (its tensors are what counts), but it was likely written for another model, or the
/// model lost a layer the adapter was trained on: worth a warning, not silence.
/// </summary>
internal static class TargetModulesCheck
{
    public static IReadOnlyList<string> Unmatched(AdapterConfig config, IReadOnlyList<string> adapterPaths) =>
        config.TargetModules.Where(entry => !adapterPaths.Any(path => Matches(entry, path))).ToList();

    /// <summary>PEFT: a list entry names a module path or its dotted suffix; a lone string is a regex over the whole path.</summary>
    private static bool Matches(string entry, string path)
    {
        if (path == entry || path.EndsWith("." + entry, StringComparison.Ordinal)) return true;
        if (entry.IndexOfAny(RegexCharacters) < 0) return false;
        try
        {
            return Regex.IsMatch(path, $"^(?:{entry})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            return true; // not a regex after all; nothing to say about it
        }
    }

    private static readonly char[] RegexCharacters = ['*', '+', '?', '(', ')', '[', ']', '^', '$', '|', '\\', '{'];
}
