using Microsoft.CodeAnalysis;

namespace LoraSdk.Generators.Parsing;

/// <summary>The runtime and TorchSharp types the generator and analyzers recognise, looked up once per compilation.</summary>
internal sealed class KnownTypes
{
    public const string LoRAAttributeName = "LoraSdk.LoRAAttribute";
    public const string NoLoRAAttributeName = "LoraSdk.NoLoRAAttribute";

    private KnownTypes(Compilation compilation)
    {
        LoRAAttribute = compilation.GetTypeByMetadataName(LoRAAttributeName);
        NoLoRAAttribute = compilation.GetTypeByMetadataName(NoLoRAAttributeName);
        Module = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module");
        Linear = compilation.GetTypeByMetadataName("TorchSharp.Modules.Linear");
        Conv2d = compilation.GetTypeByMetadataName("TorchSharp.Modules.Conv2d");
        Embedding = compilation.GetTypeByMetadataName("TorchSharp.Modules.Embedding");
    }

    public static KnownTypes From(Compilation compilation) => new(compilation);

    public INamedTypeSymbol? LoRAAttribute { get; }
    public INamedTypeSymbol? NoLoRAAttribute { get; }
    public INamedTypeSymbol? Module { get; }
    public INamedTypeSymbol? Linear { get; }
    public INamedTypeSymbol? Conv2d { get; }
    public INamedTypeSymbol? Embedding { get; }

    /// <summary>The <c>LoraLayerKind</c> name for a layer type LoRA supports, or null.</summary>
    public string? LayerKindOf(ITypeSymbol type)
    {
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, Linear)) return "Linear";
            if (SymbolEqualityComparer.Default.Equals(current, Conv2d)) return "Conv2d";
            if (SymbolEqualityComparer.Default.Equals(current, Embedding)) return "Embedding";
        }
        return null;
    }

    public bool IsModule(ITypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, Module)) return true;
        }
        return false;
    }

    public bool IsLoRAAttribute(AttributeData attribute) =>
        SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, LoRAAttribute);

    public bool IsNoLoRAAttribute(AttributeData attribute) =>
        SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, NoLoRAAttribute);
}
