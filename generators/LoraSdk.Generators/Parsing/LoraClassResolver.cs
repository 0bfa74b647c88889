using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LoraSdk.Generators.Diagnostics;
using LoraSdk.Generators.Emit;
using LoraSdk.Generators.Records;
using LoraSdk.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraSdk.Generators.Parsing;

/// <summary>A layer that gets an adapter, with its effective hyper-parameters.</summary>
/// <param name="Name">
/// The target's module name: TorchSharp's <c>[ComponentName]</c> on the field (<c>[field: …]</c> on an
/// auto-property) when present, else the C# name. LoRA parameters are named after it, so they line up
/// with the base weights' state-dict keys.
/// </param>
internal sealed record ResolvedTarget(ISymbol Member, string Name, ITypeSymbol LayerType, string Kind, int Rank, double Alpha, double Dropout,
    bool UseRsLoRA, string Init, string Base, bool UseDoRA, TargetShape Shape, bool Inherited);

/// <summary>What a <c>[LoRA]</c> class adapts, and what is wrong with it.</summary>
/// <param name="Targets">Targets of the nearest generated [LoRA] base class (Inherited), then the class's own.</param>
/// <param name="ChainsToBase">A base class is a generated [LoRA] class, whose ILoraLayer members this class extends.</param>
/// <param name="Skipped">Layer members a class-level [LoRA] leaves out, each "name (Type): reason" (LORA011).</param>
internal sealed record LoraClassResolution(INamedTypeSymbol Type, ImmutableArray<ResolvedTarget> Targets, ImmutableArray<Diagnostic> Problems,
    bool ChainsToBase, ImmutableArray<string> Skipped)
{
    /// <summary>The generator emits code only for a class without errors: the analyzer reports them (warnings and notes do not stop it).</summary>
    public bool CanGenerate => !Problems.Any(p => p.Severity == DiagnosticSeverity.Error) && !Targets.IsEmpty;
}

/// <summary>
/// Applies the <c>[LoRA]</c>/<c>[NoLoRA]</c> rules to one class. The generator and the analyzer share it,
/// so what is generated and what is reported never disagree.
/// </summary>
internal static class LoraClassResolver
{
    /// <summary>
    /// True when <paramref name="type"/> is where generation happens: it has a class-level <c>[LoRA]</c>,
    /// or field-level ones only.
    /// </summary>
    public static bool IsLoraClass(INamedTypeSymbol type, KnownTypes known) =>
        type.GetAttributes().Any(known.IsLoRAAttribute) || Members(type).Any(m => m.GetAttributes().Any(known.IsLoRAAttribute));

    public static LoraClassResolution Resolve(INamedTypeSymbol type, KnownTypes known, CancellationToken cancellationToken)
    {
        var problems = ImmutableArray.CreateBuilder<Diagnostic>();
        var classAttribute = type.GetAttributes().FirstOrDefault(known.IsLoRAAttribute);
        var classValues = classAttribute is null ? null : LoraAttributeValues.Read(classAttribute);
        var anchor = classValues?.AttributeLocation(cancellationToken) ?? IdentifierLocation(type, cancellationToken);

        CheckPartial(type, problems, cancellationToken);
        if (!known.IsModule(type))
            problems.Add(Diagnostic.Create(LoraDiagnostics.NotAModule, anchor, type.Name));
        CheckGeneratedMembers(type, problems, cancellationToken);
        if (classValues is not null) CheckValues(classValues, problems, cancellationToken);

        var targets = ImmutableArray.CreateBuilder<ResolvedTarget>();
        var skipped = ImmutableArray.CreateBuilder<string>();
        var named = NamedTargets(type, classValues, known, problems, cancellationToken);
        bool everyLayer = classValues is not null && named is null;
        var inherited = InheritedTargets(type, known, everyLayer ? problems : null, anchor, cancellationToken);
        targets.AddRange(inherited);
        foreach (var member in Members(type))
        {
            var layerType = MemberType(member)!;
            var memberAttribute = member.GetAttributes().FirstOrDefault(known.IsLoRAAttribute);
            var memberValues = memberAttribute is null ? null : LoraAttributeValues.Read(memberAttribute);
            bool excluded = member.GetAttributes().Any(known.IsNoLoRAAttribute);
            var (kind, shape) = known.Classify(layerType);

            if (memberValues is not null)
            {
                CheckValues(memberValues, problems, cancellationToken);
                if (kind is null || member.IsStatic)
                {
                    problems.Add(Diagnostic.Create(LoraDiagnostics.InvalidTarget, memberValues.AttributeLocation(cancellationToken),
                        member.Name, type.Name, Unsupported(member, layerType, known)));
                    continue;
                }
            }

            bool selected = memberValues is not null
                || (classValues is not null && (named is null ? kind is not null && !member.IsStatic : named.Contains(member.Name)));
            if (!selected || excluded || kind is null || member.IsStatic)
            {
                if (everyLayer && !excluded && !member.IsStatic && UnsupportedLayers.SkippedReason(layerType, known) is { } reason)
                {
                    skipped.Add($"{member.Name} ({Display(layerType)}): {reason}");
                    problems.Add(Diagnostic.Create(LoraDiagnostics.LayerSkipped, member.Locations.FirstOrDefault() ?? anchor, type.Name, member.Name, reason));
                }
                continue;
            }

            targets.Add(Effective(member, layerType, kind, shape, classValues, memberValues));
        }

        if (targets.Count == 0 && !problems.Any(p => p.Severity == DiagnosticSeverity.Error))
            problems.Add(Diagnostic.Create(LoraDiagnostics.NoTargets, anchor, type.Name));
        return new LoraClassResolution(type, targets.ToImmutable(), problems.ToImmutable(), inherited.Length > 0, skipped.ToImmutable());
    }

    /// <summary>
    /// The targets of the nearest base class that is a generated <c>[LoRA]</c> class (it attaches them; this class
    /// routes its own calls to them). Layer fields of plain base classes in between are not adapted: with
    /// <paramref name="warnings"/> (a class-level [LoRA] that takes every layer), each is LORA010, naming the
    /// class to annotate.
    /// </summary>
    private static ImmutableArray<ResolvedTarget> InheritedTargets(INamedTypeSymbol type, KnownTypes known,
        ImmutableArray<Diagnostic>.Builder? warnings, Location anchor, CancellationToken cancellationToken)
    {
        for (var current = type.BaseType?.OriginalDefinition; current is not null && current.DeclaringSyntaxReferences.Length > 0;
             current = current.BaseType?.OriginalDefinition)
        {
            if (IsLoraClass(current, known) && Resolve(current, known, cancellationToken) is { CanGenerate: true } resolution)
                return resolution.Targets.Select(t => t with { Inherited = true }).ToImmutableArray();
            if (warnings is null) continue;
            foreach (var member in Members(current))
            {
                if (member.IsStatic || known.Classify(MemberType(member)!).Kind is null || member.GetAttributes().Any(known.IsNoLoRAAttribute)) continue;
                warnings.Add(Diagnostic.Create(LoraDiagnostics.InheritedLayerNotAdapted, anchor, type.Name, member.Name, current.Name));
            }
        }
        return ImmutableArray<ResolvedTarget>.Empty;
    }

    /// <summary>Fields and auto-properties declared by the class itself (inherited ones belong to their own class).</summary>
    public static IEnumerable<ISymbol> Members(INamedTypeSymbol type) =>
        type.GetMembers().Where(m => !m.IsImplicitlyDeclared && MemberType(m) is not null);

    private static ITypeSymbol? MemberType(ISymbol member) => member switch
    {
        IFieldSymbol field when field.AssociatedSymbol is null => field.Type,
        IPropertySymbol property when IsAutoProperty(property) => property.Type,
        _ => null,
    };

    private static bool IsAutoProperty(IPropertySymbol property) =>
        property.ContainingType.GetMembers().OfType<IFieldSymbol>()
            .Any(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));

    /// <summary>The names listed in class-level <c>Targets</c> (null: all eligible), each checked.</summary>
    private static HashSet<string>? NamedTargets(INamedTypeSymbol type, LoraAttributeValues? values, KnownTypes known,
        ImmutableArray<Diagnostic>.Builder problems, CancellationToken cancellationToken)
    {
        if (values is null || values.Targets.IsDefaultOrEmpty) return null;
        var result = new HashSet<string>(StringComparer.Ordinal);
        var members = Members(type).ToDictionary(m => m.Name, StringComparer.Ordinal);
        for (int i = 0; i < values.Targets.Length; i++)
        {
            var name = values.Targets[i] ?? "";
            string? reason = null;
            if (!members.TryGetValue(name, out var member))
                reason = InheritedMemberOwner(type, name) is { } owner
                    ? $"it is declared in the base class '{owner.Name}'; put [LoRA] on '{owner.Name}' (declared partial) to adapt it there"
                    : "it has no field or auto-property with that name";
            else if (known.Classify(MemberType(member)!).Kind is null || member.IsStatic)
                reason = Unsupported(member, MemberType(member)!, known);
            else if (member.GetAttributes().Any(known.IsNoLoRAAttribute))
                reason = "it is marked [NoLoRA]";

            if (reason is null) result.Add(name);
            else problems.Add(Diagnostic.Create(LoraDiagnostics.InvalidTarget, values.TargetElementLocation(i, cancellationToken), name, type.Name, reason));
        }
        return result;
    }

    /// <summary>The base class that declares a field or auto-property named <paramref name="name"/>, if any.</summary>
    private static INamedTypeSymbol? InheritedMemberOwner(INamedTypeSymbol type, string name)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
            if (Members(current).Any(m => m.Name == name)) return current;
        return null;
    }

    private static string Unsupported(ISymbol member, ITypeSymbol type, KnownTypes known) => member.IsStatic
        ? "static members cannot be adapted"
        : UnsupportedLayers.Reason(type, known);

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);

    /// <summary>
    /// Field-level values override the class's; what the field leaves out comes from the class (as PEFT's
    /// rank_pattern keeps lora_alpha), and alpha falls back to the field's own rank when neither sets it.
    /// </summary>
    private static ResolvedTarget Effective(ISymbol member, ITypeSymbol layerType, string kind, TargetShape shape,
        LoraAttributeValues? cls, LoraAttributeValues? field)
    {
        int rank = field?.Rank ?? cls?.Rank ?? 0;
        return new ResolvedTarget(
            member, ComponentName(member) ?? member.Name, layerType, kind, rank,
            Alpha: field?.Alpha ?? cls?.Alpha ?? LoraOptionRules.DefaultAlpha(rank),
            Dropout: field?.Dropout ?? cls?.Dropout ?? LoraOptionRules.DefaultDropout,
            UseRsLoRA: field?.UseRsLoRA ?? cls?.UseRsLoRA ?? LoraOptionRules.DefaultUseRsLoRA,
            Init: field?.Init ?? cls?.Init ?? LoraOptionRules.DefaultInit,
            Base: field?.Base ?? cls?.Base ?? LoraOptionRules.DefaultBase,
            UseDoRA: field?.UseDoRA ?? cls?.UseDoRA ?? LoraOptionRules.DefaultUseDoRA,
            Shape: shape,
            Inherited: false);
    }

    /// <summary>The <c>Name</c> of TorchSharp's <c>ComponentNameAttribute</c> on the member's storage field.</summary>
    private static string? ComponentName(ISymbol member)
    {
        var storage = member as IFieldSymbol ?? member.ContainingType.GetMembers().OfType<IFieldSymbol>()
            .FirstOrDefault(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, member));
        var attribute = storage?.GetAttributes().FirstOrDefault(a =>
            a.AttributeClass is { Name: "ComponentNameAttribute" } type && type.ContainingNamespace.ToDisplayString().StartsWith("TorchSharp", StringComparison.Ordinal));
        if (attribute is null) return null;
        return attribute.NamedArguments.Where(n => n.Key == "Name").Select(n => n.Value.Value as string).FirstOrDefault()
               ?? attribute.ConstructorArguments.Select(c => c.Value as string).FirstOrDefault();
    }

    /// <summary>The shared rules (src/Shared/LoraOptionRules.cs), each broken one reported at its argument.</summary>
    private static void CheckValues(LoraAttributeValues values, ImmutableArray<Diagnostic>.Builder problems, CancellationToken cancellationToken)
    {
        foreach (var (option, value, requirement) in LoraOptionRules.Problems(values.Rank, values.Alpha, values.Dropout))
        {
            problems.Add(option == LoraOptionRules.Rank
                ? Diagnostic.Create(LoraDiagnostics.InvalidRank, values.RankLocation(cancellationToken), value)
                : Diagnostic.Create(LoraDiagnostics.InvalidHyperParameter, values.NamedArgumentLocation(option, cancellationToken),
                    option.ToLowerInvariant(), requirement, Format((double)value)));
        }
    }

    private static string Format(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static void CheckPartial(INamedTypeSymbol type, ImmutableArray<Diagnostic>.Builder problems, CancellationToken cancellationToken)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            bool isPartial = current.DeclaringSyntaxReferences
                .Select(r => r.GetSyntax(cancellationToken))
                .OfType<TypeDeclarationSyntax>()
                .Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (isPartial) continue;
            var detail = ReferenceEquals(current, type) ? "" : $" (it contains the [LoRA] class '{type.Name}')";
            problems.Add(Diagnostic.Create(LoraDiagnostics.NotPartial, IdentifierLocation(current, cancellationToken), current.Name, detail));
        }
    }

    private static void CheckGeneratedMembers(INamedTypeSymbol type, ImmutableArray<Diagnostic>.Builder problems, CancellationToken cancellationToken)
    {
        foreach (var member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared || !GeneratedNames.Members.Contains(member.Name)) continue;
            if (member.DeclaringSyntaxReferences.Length == 0 || member.DeclaringSyntaxReferences.All(r => GeneratedNames.IsGeneratedFile(r.SyntaxTree))) continue;
            var fix = member.Name == "RegisterComponents"
                ? "remove the override (the generated one calls base.RegisterComponents(); do extra set-up in the constructor)"
                : "rename or remove it";
            problems.Add(Diagnostic.Create(LoraDiagnostics.MemberAlreadyDeclared, member.Locations.FirstOrDefault() ?? Location.None,
                type.Name, member.Name, fix));
        }
    }

    private static Location IdentifierLocation(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>()
            .Select(d => d.Identifier.GetLocation()).FirstOrDefault() ?? type.Locations.FirstOrDefault() ?? Location.None;
}
