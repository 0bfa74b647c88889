using System;
using System.Collections.Generic;
using System.Linq;
using LoraSdk.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace LoraSdk.Generators.Analysis;

/// <summary>What one use of a target does: allowed, a bypass (LORA006, with its reason), or a weight computed with (LORA009).</summary>
internal readonly record struct TargetUse(IOperation? At, string? Unroutable, string? WeightComputation)
{
    public static TargetUse Allowed => default;

    public static TargetUse Bypass(IOperation at, string reason) => new(at, reason, null);
}

/// <summary>
/// The rules of <see cref="TargetUsageAnalyzer"/> for one target, seen from the code that uses it: a call
/// <see cref="RoutableCalls"/> allows (and <see cref="CallSiteFinder"/> intercepts) is allowed here, anything that
/// could run the layer without its adapter is not.
/// </summary>
internal sealed class TargetUseRules(
    ResolvedTarget target, INamedTypeSymbol owner, ISymbol? containingSymbol, Func<INamedTypeSymbol, LoraClassResolution?> resolutionOf)
{
    /// <summary>Methods that change a layer collection: after RegisterComponents() a new layer would get no adapter.</summary>
    private static readonly HashSet<string> Mutations = new(StringComparer.Ordinal)
    {
        "Add", "append", "extend", "Insert", "Clear", "clear", "Remove", "RemoveAt",
    };

    /// <summary>A reference to the target member itself.</summary>
    public TargetUse Check(IOperation reference, bool collection) =>
        IsInsideNameOf(reference) ? TargetUse.Allowed
        : collection ? CheckCollection(reference)
        : CheckLayer(reference, reference, element: false);

    /// <summary>
    /// A use of one layer: the target, an element of a collection target, or a foreach variable over one.
    /// <paramref name="at"/> is where a problem is reported (the target as written).
    /// </summary>
    public TargetUse CheckLayer(IOperation layer, IOperation at, bool element)
    {
        var value = Widened(layer);
        switch (value.Parent)
        {
            case IInvocationOperation invocation when ReferenceEquals(invocation.Instance, value):
                if (RoutableCalls.IsRoutable(invocation.TargetMethod))
                    return IsInside() ? TargetUse.Allowed : TargetUse.Bypass(at, $"calling '{invocation.TargetMethod.Name}' outside its class");
                // Other methods (train(), parameters(), …) are harmless unless they hand the layer out again.
                return IsModule(invocation.TargetMethod.ReturnType) && invocation.Parent is not IExpressionStatementOperation
                    ? TargetUse.Bypass(at, $"using the layer returned by '{invocation.TargetMethod.Name}()'")
                    : TargetUse.Allowed;
            // Before the member case: a method group (query.forward as a Func) is a member reference too.
            case IMethodReferenceOperation:
                return TargetUse.Bypass(at, "taking its method as a delegate");
            case IMemberReferenceOperation member when ReferenceEquals(member.Instance, value):
                // Reading target.weight, target.in_features, …; computing with the weight is LORA009.
                return member is IPropertyReferenceOperation property && WeightFlow.IsWeightRead(member) && WeightFlow.ComputedWith(property) is { } operation
                    ? new TargetUse(member, null, operation)
                    : TargetUse.Allowed;
            case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, layer):
                return IsConstructor() ? TargetUse.Allowed
                    : TargetUse.Bypass(at, element ? "replacing a layer of it outside a constructor" : "assigning it outside a constructor of its class");
            case IConditionalAccessOperation conditional when ReferenceEquals(conditional.Operation, value):
                // target?.forward(x): the call on the conditional instance is what consumes the layer.
                var instance = conditional.WhenNotNull.DescendantsAndSelf().OfType<IConditionalAccessInstanceOperation>().FirstOrDefault();
                return instance is null ? TargetUse.Bypass(at, "'?.' access") : CheckLayer(instance, at, element);
            case IIsPatternOperation pattern when ReferenceEquals(pattern.Value, value):
                return DeclaresVariable(pattern.Pattern) ? TargetUse.Bypass(at, "storing it in a pattern variable") : TargetUse.Allowed;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison
                when IsNull(ReferenceEquals(comparison.LeftOperand, value) ? comparison.RightOperand : comparison.LeftOperand):
                return TargetUse.Allowed;   // gate is null, gate != null
            case IInterpolationOperation:
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String }:
                return TargetUse.Allowed;   // $"{query}", "layer " + query: formatting runs no layer
            default:
                return TargetUse.Bypass(at, GeneralReason(value, layer));
        }
    }

    /// <summary>A <c>ModuleList&lt;T&gt;</c>/<c>ModuleDict&lt;T&gt;</c> target: its layers must stay where the generator sees them.</summary>
    private TargetUse CheckCollection(IOperation reference)
    {
        var value = Widened(reference);
        switch (value.Parent)
        {
            case IPropertyReferenceOperation { Property.IsIndexer: true } element when ReferenceEquals(element.Instance, value):
                return CheckLayer(element, reference, element: true);
            case IForEachLoopOperation loop when ReferenceEquals(loop.Collection, value):
                return TargetUse.Allowed;   // its variable's uses are checked one by one
            case IInvocationOperation call when ReferenceEquals(call.Instance, value):
                var name = call.TargetMethod.Name;
                if (IsConstructor()) return TargetUse.Allowed;
                if (Mutations.Contains(name))
                    return TargetUse.Bypass(reference, $"changing it with '{name}' outside a constructor (a layer added later has no adapter)");
                return MentionsModule(call.TargetMethod.ReturnType)
                    ? TargetUse.Bypass(reference, $"calling '{name}()', which hands out its layers,")
                    : TargetUse.Allowed;
            case IPropertyReferenceOperation property when ReferenceEquals(property.Instance, value):
                return MentionsModule(property.Type!)
                    ? TargetUse.Bypass(reference, $"reading '{property.Property.Name}', which hands out its layers,")
                    : TargetUse.Allowed;   // Count, IsReadOnly
            case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, reference):
                return IsConstructor() ? TargetUse.Allowed : TargetUse.Bypass(reference, "assigning it outside a constructor of its class");
            default:
                return TargetUse.Bypass(reference, GeneralReason(value, reference));
        }
    }

    private string GeneralReason(IOperation value, IOperation reference) => value.Parent switch
    {
        IArgumentOperation => "passing it as an argument",
        IReturnOperation => "returning it",
        IConversionOperation conversion => $"converting it to '{conversion.Type?.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}'",
        IVariableInitializerOperation => "storing it in a variable",
        ISimpleAssignmentOperation => "storing it in another variable or field",
        IArrayInitializerOperation or ICollectionExpressionOperation => "putting it in a collection",
        // A method group converted to a delegate may have no IOperation of its own: recognise it by syntax.
        not null when reference.Syntax.Parent is MemberAccessExpressionSyntax access
                      && access.Expression == reference.Syntax && access.Parent is not InvocationExpressionSyntax
            => "taking its method as a delegate",
        _ => IsInside() ? "using it as a value" : "using it outside its class",
    };

    private static IOperation Widened(IOperation operation)
    {
        // An implicit conversion (Linear -> Module<Tensor, Tensor>) says nothing; what consumes it does.
        while (operation.Parent is IConversionOperation { IsImplicit: true } widening) operation = widening;
        return operation;
    }

    public static bool IsModule(ITypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
            if (current.ToDisplayString() == "TorchSharp.torch.nn.Module") return true;
        return false;
    }

    /// <summary>A module, or a type built from one (<c>IEnumerable&lt;T&gt;</c>, <c>(string, T)</c>, arrays): it can hand layers out.</summary>
    private static bool MentionsModule(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol array => MentionsModule(array.ElementType),
        INamedTypeSymbol named when IsModule(named) => true,
        INamedTypeSymbol { IsGenericType: true } generic => generic.TypeArguments.Any(MentionsModule),
        _ => false,
    };

    private static bool DeclaresVariable(IPatternOperation pattern) =>
        pattern.DescendantsAndSelf().OfType<IPatternOperation>().Any(p =>
            p is IDeclarationPatternOperation { DeclaredSymbol: not null } or IRecursivePatternOperation { DeclaredSymbol: not null });

    private static bool IsNull(IOperation operand) => operand.ConstantValue is { HasValue: true, Value: null };

    private static bool IsInsideNameOf(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
            if (current is INameOfOperation) return true;
        return false;
    }

    /// <summary>
    /// Inside the class itself, a type nested in it, or a generated [LoRA] class that inherits the target: the
    /// generator intercepts those calls.
    /// </summary>
    private bool IsInside()
    {
        for (var type = containingSymbol as INamedTypeSymbol ?? containingSymbol?.ContainingType; type is not null; type = type.ContainingType)
        {
            if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, owner)) return true;
            if (resolutionOf(type) is { CanGenerate: true } derived
                && derived.Targets.Any(t => t.Inherited && SymbolEqualityComparer.Default.Equals(t.Member, target.Member)))
                return true;
        }
        return false;
    }

    /// <summary>A constructor of the class or of a class derived from it (a derived class may create inherited layers).</summary>
    private bool IsConstructor()
    {
        if (containingSymbol is not IMethodSymbol { MethodKind: MethodKind.Constructor } constructor) return false;
        for (var type = constructor.ContainingType; type is not null; type = type.BaseType)
            if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, owner)) return true;
        return false;
    }
}
