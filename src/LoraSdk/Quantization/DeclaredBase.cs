using System.Reflection;

namespace LoraSdk.Quantization;

/// <summary>
/// The <c>Base</c> a <c>[LoRA]</c> class or field declares, read from the attributes when the generated code attaches
/// an adapter (the generator needs nothing for it): the field's own <c>Base</c> if it sets one, else the class's.
/// Only explicitly set values count, so a field attribute without <c>Base</c> keeps the class's choice.
/// </summary>
internal static class DeclaredBase
{
    public static LoraBase For(Type owner, string member)
    {
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        for (var type = owner; type is not null; type = type.BaseType)
        {
            MemberInfo? declared = (MemberInfo?)type.GetField(member, Instance) ?? type.GetProperty(member, Instance);
            if (declared is null) continue;
            return Set(declared) ?? Set(type) ?? Set(owner) ?? LoraBase.Float32;
        }
        return Set(owner) ?? LoraBase.Float32;
    }

    private static LoraBase? Set(MemberInfo member) => member.GetCustomAttributesData()
        .Where(a => a.AttributeType == typeof(LoRAAttribute))
        .SelectMany(a => a.NamedArguments)
        .Where(a => a.MemberName == nameof(LoRAAttribute.Base))
        .Select(a => (LoraBase?)(LoraBase)(int)a.TypedValue.Value!)
        .FirstOrDefault();
}
