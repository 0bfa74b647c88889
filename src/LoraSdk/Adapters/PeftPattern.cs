using System.Text.RegularExpressions;

namespace LoraSdk;

/// <summary>
/// How PEFT resolves <c>rank_pattern</c>/<c>alpha_pattern</c> keys against a target path: a key matches when
/// the path equals it, or when the regex <c>(.*\.)?(key)$</c> matches the path from its start.
/// </summary>
internal static class PeftPattern
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    /// <summary>The first key that matches <paramref name="path"/> (an exact match wins), or null.</summary>
    public static string? Find(IEnumerable<string> keys, string path)
    {
        var list = keys as IReadOnlyCollection<string> ?? keys.ToList();
        foreach (var key in list) if (key == path) return key;
        foreach (var key in list) if (Matches(key, path)) return key;
        return null;
    }

    public static bool Matches(string key, string path) =>
        IsValid(key) && Regex.IsMatch(path, $@"^(?:.*\.)?(?:{key})$", RegexOptions.CultureInvariant, Timeout);

    public static bool IsValid(string key)
    {
        try
        {
            _ = new Regex(key, RegexOptions.CultureInvariant, Timeout);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// The key to write for <paramref name="path"/>: the path itself, or anchored with <c>^</c> when it would
    /// also match another target (e.g. <c>query</c> next to <c>encoder.query</c>).
    /// </summary>
    public static string KeyFor(string path, IEnumerable<string> allTargetPaths) =>
        allTargetPaths.Any(other => other != path && Matches(path, other)) ? "^" + path : path;
}
