using Microsoft.CodeAnalysis;
using LoraSdk.Generators.Records;

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
        Conv1d = compilation.GetTypeByMetadataName("TorchSharp.Modules.Conv1d");
        Conv2d = compilation.GetTypeByMetadataName("TorchSharp.Modules.Conv2d");
        ModuleList = compilation.GetTypeByMetadataName("TorchSharp.Modules.ModuleList`1");
        ModuleDict = compilation.GetTypeByMetadataName("TorchSharp.Modules.ModuleDict`1");
        Embedding = compilation.GetTypeByMetadataName("TorchSharp.Modules.Embedding");
    }

    public static KnownTypes From(Compilation compilation) => new(compilation);

    public INamedTypeSymbol? LoRAAttribute { get; }
    public INamedTypeSymbol? NoLoRAAttribute { get; }
    public INamedTypeSymbol? Module { get; }
    public INamedTypeSymbol? Linear { get; }
    public INamedTypeSymbol? Conv1d { get; }
    public INamedTypeSymbol? Conv2d { get; }
    public INamedTypeSymbol? ModuleList { get; }
    public INamedTypeSymbol? ModuleDict { get; }
    public INamedTypeSymbol? Embedding { get; }

    /// <summary>The <c>LoraLayerKind</c> name for a layer type LoRA supports, or null.</summary>
    public string? LayerKindOf(ITypeSymbol type)
    {
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, Linear)) return "Linear";
            if (SymbolEqualityComparer.Default.Equals(current, Conv1d)) return "Conv1d";
            if (SymbolEqualityComparer.Default.Equals(current, Conv2d)) return "Conv2d";
            if (SymbolEqualityComparer.Default.Equals(current, Embedding)) return "Embedding";
        }
        return null;
    }

    /// <summary>
    /// What a member of this type would adapt: a layer (optional when its type is annotated nullable), or every
    /// layer of a <c>ModuleList&lt;T&gt;</c>/<c>ModuleDict&lt;T&gt;</c>; Kind is null for an unsupported type.
    /// </summary>
    public (string? Kind, TargetShape Shape) Classify(ITypeSymbol type)
    {
        if (ElementOf(type, ModuleList) is { } listElement) return (LayerKindOf(listElement), TargetShape.ModuleList);
        if (ElementOf(type, ModuleDict) is { } dictElement) return (LayerKindOf(dictElement), TargetShape.ModuleDict);
        var shape = type.NullableAnnotation == NullableAnnotation.Annotated ? TargetShape.OptionalLayer : TargetShape.Layer;
        return (LayerKindOf(type), shape);
    }

    /// <summary>T of a <c>ModuleList&lt;T&gt;</c> (or <c>ModuleDict&lt;T&gt;</c>) type, or null.</summary>
    public static ITypeSymbol? ElementOf(ITypeSymbol type, INamedTypeSymbol? collection) =>
        type is INamedTypeSymbol { IsGenericType: true } named && collection is not null
        && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, collection)
            ? named.TypeArguments[0]
            : null;

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
