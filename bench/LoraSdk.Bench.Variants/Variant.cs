using Microsoft.Extensions.Configuration;

namespace LoraSdk.Bench.Variants;

/// <summary>
/// One LoRA variant as configuration keys of the <c>LoRA</c> section (<c>UseRsLoRA=true</c>, <c>LoraPlusLrRatio=16</c>,
/// <c>UseDoRA=true</c>), bound by the configuration binder as the host binds them, so a key this build does not know
/// fails that variant with a message naming it, and the others still run.
/// </summary>
internal sealed record Variant(string Id, string Name, IReadOnlyDictionary<string, string> Keys)
{
    /// <summary>The variants of issue #27, plain LoRA first (the ratios are against it).</summary>
    public static IReadOnlyList<Variant> All { get; } =
    [
        new("lora", "LoRA", new Dictionary<string, string>()),
        new("loraplus", "LoRA+ (ratio 16)", new Dictionary<string, string> { ["LoraPlusLrRatio"] = "16" }),
        new("rslora", "rsLoRA", new Dictionary<string, string> { ["UseRsLoRA"] = "true" }),
        new("dora", "DoRA", new Dictionary<string, string> { ["UseDoRA"] = "true" }),
    ];

    /// <summary>The variants named in <paramref name="list"/> (comma-separated: lora, loraplus, rslora, dora).</summary>
    public static IReadOnlyList<Variant> Select(string list)
    {
        var wanted = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return wanted.Select(w => All.FirstOrDefault(v => v.Id.Equals(w, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"--variants: unknown variant '{w}' (known: {string.Join(", ", All.Select(v => v.Id))}).")).ToList();
    }

    /// <summary>
    /// <paramref name="start"/> (a fresh instance: it is changed in place) with this variant's keys that belong to <typeparamref name="T"/>'s properties bound onto
    /// it; the keys that belong to none of <paramref name="types"/> are an error naming them.
    /// </summary>
    public T Bind<T>(T start, params Type[] types) where T : class
    {
        var unknown = Keys.Keys.Where(k => !types.Append(typeof(T)).Any(t => t.GetProperty(k) is { CanWrite: true })).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException($"{Name}: {string.Join(", ", unknown)} is not an option of this build (neither {string.Join(" nor ", types.Append(typeof(T)).Select(t => t.Name))}).");
        var mine = Keys.Where(k => typeof(T).GetProperty(k.Key) is { CanWrite: true }).ToDictionary(k => k.Key, k => (string?)k.Value);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(mine).Build();
        configuration.Bind(start, o => o.ErrorOnUnknownConfiguration = true);
        return start;
    }
}
