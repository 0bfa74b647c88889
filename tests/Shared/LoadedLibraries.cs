namespace LoraSdk.Testing;

/// <summary>Which shared libraries the dynamic loader mapped into this process (Linux: /proc/self/maps).</summary>
internal static class LoadedLibraries
{
    /// <summary>The path of the loaded library whose file name starts with <paramref name="soname"/>.</summary>
    public static string PathOf(string soname) =>
        File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith(soname, StringComparison.Ordinal))
            .Select(fields => fields[5])
            .FirstOrDefault() ?? throw new InvalidOperationException($"{soname} is not loaded in this process");
}
