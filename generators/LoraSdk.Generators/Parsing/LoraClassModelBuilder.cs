using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LoraSdk.Generators.Emit;
using LoraSdk.Generators.Records;
using Microsoft.CodeAnalysis;

namespace LoraSdk.Generators.Parsing;

/// <summary>Turns a resolved <c>[LoRA]</c> class into its symbol-free pipeline model.</summary>
internal static class LoraClassModelBuilder
{
    private static readonly SymbolDisplayFormat NameWithTypeParameters = new(
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters);

    /// <summary>
    /// The model for the class that <paramref name="context"/>'s attribute belongs to, or null when this
    /// attribute is not the one that generates it (several field-level attributes name the same class) or
    /// when the class has problems the analyzer reports.
    /// </summary>
    public static LoraClassModel? Build(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var known = KnownTypes.From(context.SemanticModel.Compilation);
        var type = context.TargetSymbol as INamedTypeSymbol ?? context.TargetSymbol.ContainingType;
        if (type is null || !IsGeneratingAttribute(context.TargetSymbol, type, known)) return null;

        var resolution = LoraClassResolver.Resolve(type, known, cancellationToken);
        if (!resolution.CanGenerate) return null;

        return new LoraClassModel(
            HintName(type),
            type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            ContainingTypes(type).Select(Declaration).ToEquatableArray(),
            Declaration(type),
            type.ToDisplayString(),
            resolution.Targets.Select(Target).ToEquatableArray(),
            CallSiteFinder.Find(type, resolution.Targets, context.SemanticModel.Compilation, cancellationToken),
            resolution.ChainsToBase,
            type.IsSealed,
            resolution.Skipped.ToEquatableArray());
    }

    /// <summary>A class-level attribute generates its class; otherwise the first field-level one does.</summary>
    private static bool IsGeneratingAttribute(ISymbol attributed, INamedTypeSymbol type, KnownTypes known)
    {
        if (ReferenceEquals(attributed, type)) return true;
        if (type.GetAttributes().Any(known.IsLoRAAttribute)) return false;
        var first = LoraClassResolver.Members(type).FirstOrDefault(m => m.GetAttributes().Any(known.IsLoRAAttribute));
        return SymbolEqualityComparer.Default.Equals(first, attributed);
    }

    private static LoraTargetModel Target(ResolvedTarget target) => new(
        target.Member.Name, target.Name, target.Kind, target.Rank, target.Alpha, target.Dropout, target.UseRsLoRA, target.Init, target.Base,
        target.UseDoRA, target.Shape, target.Inherited);

    private static IEnumerable<INamedTypeSymbol> ContainingTypes(INamedTypeSymbol type)
    {
        var chain = new List<INamedTypeSymbol>();
        for (var current = type.ContainingType; current is not null; current = current.ContainingType) chain.Insert(0, current);
        return chain;
    }

    private static string Declaration(INamedTypeSymbol type)
    {
        var keyword = type switch
        {
            { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
            { IsRecord: true } => "record",
            { TypeKind: TypeKind.Struct } => "struct",
            { TypeKind: TypeKind.Interface } => "interface",
            _ => "class",
        };
        return $"partial {keyword} {type.ToDisplayString(NameWithTypeParameters)}";
    }

    /// <summary><c>Ns.Outer.Block`1.LoRA.g.cs</c>: metadata-style names are unique and valid in a file name.</summary>
    private static string HintName(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (var current = type; current is not null; current = current.ContainingType)
            parts.Insert(0, current.Arity == 0 ? current.Name : $"{current.Name}`{current.Arity}");
        if (!type.ContainingNamespace.IsGlobalNamespace) parts.Insert(0, type.ContainingNamespace.ToDisplayString());
        return GeneratedNames.FileName(string.Join(".", parts));
    }
}
