namespace LoraSdk;

/// <summary>Excludes a field from a class-level <see cref="LoRAAttribute"/>: it stays frozen and unadapted.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class NoLoRAAttribute : Attribute;
