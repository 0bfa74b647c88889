using System.Reflection;
using LoraSdk.Search;
using LoraSdk.Training;

namespace LoraSdk.Hosting;

/// <summary>
/// The enum-valued keys of the <c>LoRA</c> section, found by reflection over every type the section binds to
/// (<see cref="LoraFineTuningOptions"/>, <see cref="LoraOptionsOverride"/>, <see cref="TrainerOptions"/>,
/// <see cref="SearchOptions"/>), so an enum option added to any of them is checked without more code.
/// Configuration's binder turns any integer into an enum (<c>BaseQuantization=7</c> binds, and fails later, or
/// never), so a value is accepted only when it is one of the enum's names (any case, as the binder reads them);
/// numbers are not documented for any option and are refused.
/// </summary>
internal static class EnumOptions
{
    /// <summary>Every enum-valued key and its enum type (nullable enums included).</summary>
    public static IReadOnlyDictionary<string, Type> Keys { get; } = new[]
        {
            typeof(LoraFineTuningOptions), typeof(LoraOptionsOverride), typeof(TrainerOptions), typeof(SearchOptions),
        }
        .SelectMany(type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        .Select(p => (p.Name, Type: Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType))
        .Where(p => p.Type.IsEnum)
        .ToDictionary(p => p.Name, p => p.Type, StringComparer.OrdinalIgnoreCase);

    /// <summary>Why <paramref name="value"/> is no value of the enum-valued <paramref name="key"/>; null when it is one (or the key is not an enum).</summary>
    public static string? Problem(string key, string? value)
    {
        if (value is null || !Keys.TryGetValue(key, out var type)) return null;
        string trimmed = value.Trim();
        if (Enum.GetNames(type).Any(name => name.Equals(trimmed, StringComparison.OrdinalIgnoreCase))) return null;
        return $"not one of {string.Join(", ", Enum.GetNames(type))}.";
    }
}
