using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using LoraSdk.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LoraSdk.Generators.Analysis;

/// <summary>
/// LORA006: a LoRA target may only be called (<c>target.forward(x)</c> / <c>target.call(x)</c> inside its
/// class, which the generator intercepts), read through (<c>target.weight</c>) and assigned in a
/// constructor. Any other use could run the layer without its adapter, so it is an error, never a silent bypass.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TargetUsageAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(LoraDiagnostics.UnroutableUse);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var known = KnownTypes.From(start.Compilation);
            if (known.LoRAAttribute is null) return;
            var targetsByType = new ConcurrentDictionary<INamedTypeSymbol, ImmutableHashSet<ISymbol>>(SymbolEqualityComparer.Default);

            start.RegisterOperationAction(operationContext =>
            {
                var reference = (IMemberReferenceOperation)operationContext.Operation;
                var owner = reference.Member.ContainingType?.OriginalDefinition;
                if (owner is null) return;
                var targets = targetsByType.GetOrAdd(owner, type => TargetsOf(type, known, operationContext));
                if (!targets.Contains(reference.Member.OriginalDefinition)) return;

                var reason = UnroutableReason(reference, owner, operationContext.ContainingSymbol);
                if (reason is null) return;
                operationContext.ReportDiagnostic(Diagnostic.Create(LoraDiagnostics.UnroutableUse, reference.Syntax.GetLocation(),
                    reference.Member.Name, reason, owner.Name));
            }, OperationKind.FieldReference, OperationKind.PropertyReference);
        });
    }

    private static ImmutableHashSet<ISymbol> TargetsOf(INamedTypeSymbol type, KnownTypes known, OperationAnalysisContext context) =>
        LoraClassResolver.IsLoraClass(type, known)
            ? LoraClassResolver.Resolve(type, known, context.CancellationToken).Targets
                .Select(t => t.Member).ToImmutableHashSet<ISymbol>(SymbolEqualityComparer.Default)
            : ImmutableHashSet<ISymbol>.Empty;

    /// <summary>Why this use escapes routing, or null when it is allowed.</summary>
    private static string? UnroutableReason(IMemberReferenceOperation reference, INamedTypeSymbol owner, ISymbol? containingSymbol)
    {
        if (IsInsideNameOf(reference)) return null;
        bool inside = IsInside(containingSymbol, owner);
        // An implicit conversion (Linear -> Module<Tensor, Tensor>) says nothing; what consumes it does.
        IOperation value = reference;
        while (value.Parent is IConversionOperation { IsImplicit: true } widening) value = widening;
        var parent = value.Parent;

        switch (parent)
        {
            case IInvocationOperation invocation when ReferenceEquals(invocation.Instance, value):
                if (IsRoutedCall(invocation.TargetMethod))
                    return inside ? null : $"calling '{invocation.TargetMethod.Name}' outside its class";
                // Other methods (train(), parameters(), …) are harmless unless they hand the layer out again.
                return ReturnsModule(invocation.TargetMethod) && !(invocation.Parent is IExpressionStatementOperation)
                    ? $"using the layer returned by '{invocation.TargetMethod.Name}()'"
                    : null;
            // Before the member case: a method group (query.forward as a Func) is a member reference too.
            case IMethodReferenceOperation:
                return "taking its method as a delegate";
            case IMemberReferenceOperation member when ReferenceEquals(member.Instance, value):
                return null;   // reading target.weight, target.in_features, …
            case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, reference):
                return IsConstructorOf(containingSymbol, owner) ? null : "assigning it outside a constructor of its class";
            case IConditionalAccessOperation:
                return "'?.' access";
            case IArgumentOperation:
                return "passing it as an argument";
            case IReturnOperation:
                return "returning it";
            case IConversionOperation conversion:
                return $"converting it to '{conversion.Type?.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}'";
            case IVariableInitializerOperation:
                return "storing it in a variable";
            case ISimpleAssignmentOperation:
                return "storing it in another variable or field";
            case IArrayInitializerOperation or ICollectionExpressionOperation:
                return "putting it in a collection";
            // A method group converted to a delegate has no IOperation of its own: recognise it by syntax.
            case not null when reference.Syntax.Parent is MemberAccessExpressionSyntax access
                               && access.Expression == reference.Syntax && access.Parent is not InvocationExpressionSyntax:
                return "taking its method as a delegate";
            default:
                return inside ? "using it as a value" : "using it outside its class";
        }
    }

    private static bool IsRoutedCall(IMethodSymbol method) =>
        !method.IsStatic && method.Parameters.Length == 1 && CallSiteFinder.RoutedMethods.Contains(method.Name);

    private static bool ReturnsModule(IMethodSymbol method)
    {
        for (var type = method.ReturnType; type is not null; type = type.BaseType)
            if (type.ToDisplayString() == "TorchSharp.torch.nn.Module") return true;
        return false;
    }

    private static bool IsInsideNameOf(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
            if (current is INameOfOperation) return true;
        return false;
    }

    /// <summary>Inside the class itself or a type nested in it: the generator sees those calls.</summary>
    private static bool IsInside(ISymbol? symbol, INamedTypeSymbol owner)
    {
        for (var type = symbol as INamedTypeSymbol ?? symbol?.ContainingType; type is not null; type = type.ContainingType)
            if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, owner)) return true;
        return false;
    }

    private static bool IsConstructorOf(ISymbol? symbol, INamedTypeSymbol owner) =>
        symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
        && SymbolEqualityComparer.Default.Equals(constructor.ContainingType.OriginalDefinition, owner);
}
