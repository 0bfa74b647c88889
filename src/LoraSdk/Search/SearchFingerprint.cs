using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LoraSdk.Search;

/// <summary>
/// What a search's results depend on, hashed: the program (entry assembly), the data files, the effective
/// <c>LoRA</c> configuration, the search space, the budget and whether the configured settings are the incumbent. Saved trials are reused only under the same one.
/// </summary>
internal static class SearchFingerprint
{
    private const string Version = "lorasdk-search-2"; // 2: trials continue as prefixes of the full run; the incumbent

    public static string Of(string? program, IEnumerable<string?> dataFiles, IEnumerable<KeyValuePair<string, string>> configuration,
        SearchSpace space, double budget, bool incumbent)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Text(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        void FileContents(string? path)
        {
            Text(path ?? "(none)");
            if (path is not null && File.Exists(path)) hash.AppendData(File.ReadAllBytes(path));
        }
        Text(Version);
        FileContents(program);
        foreach (string? file in dataFiles) FileContents(file);
        foreach (var (key, value) in configuration.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase)) Text($"{key}={value}");
        Text(space.ToString());
        Text(budget.ToString("R", CultureInfo.InvariantCulture));
        Text(incumbent ? "incumbent" : "no incumbent");
        Text(SuccessiveHalvingPlan.Eta.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
