using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using LoraSdk.Generators.Records;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraSdk.Generators.Parsing;

/// <summary>
/// Finds every <c>target.forward(x)</c> / <c>target.call(x)</c> inside a <c>[LoRA]</c> class (all its
/// partial parts, nested lambdas and types included; <c>target?.forward(x)</c>, <c>list[i].forward(x)</c> and
/// <c>foreach (var layer in list) layer.forward(x)</c> too) and groups them into interceptor models.
/// What counts as a routable call is <see cref="RoutableCalls"/>, which the analyzer's LORA006 allows.
/// </summary>
internal static class CallSiteFinder
{
    public static EquatableArray<InterceptorModel> Find(INamedTypeSymbol type, IReadOnlyCollection<ResolvedTarget> targets,
        Compilation compilation, CancellationToken cancellationToken)
    {
        var byMember = targets.ToDictionary(t => t.Member, t => t, SymbolEqualityComparer.Default);
        var groups = new Dictionary<(string Member, string Method), List<CallSiteModel>>();
        var signatures = new Dictionary<(string Member, string Method), IMethodSymbol>();

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax(cancellationToken);
            var model = compilation.GetSemanticModel(declaration.SyntaxTree);
            foreach (var invocation in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                var (receiver, name) = ReceiverAndName(invocation);
                if (receiver is null || !RoutableCalls.Methods.Contains(name.Identifier.ValueText)) continue;
                var target = TargetLayerOf(receiver, model, byMember, cancellationToken);
                if (target is null) continue;
                if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method || !RoutableCalls.IsRoutable(method)) continue;
                var location = model.GetInterceptableLocation(invocation, cancellationToken);
                if (location is null) continue;

                var key = (target.Member.Name, method.Name);
                if (!groups.TryGetValue(key, out var sites))
                {
                    groups[key] = sites = [];
                    signatures[key] = method;
                }
                sites.Add(new CallSiteModel(location.Version, location.Data, Display(name)));
            }
        }

        // In target declaration order, forward before call: the generated file reads like the class.
        var order = targets.Select(t => t.Member.Name).ToList();
        return groups
            .OrderBy(g => order.IndexOf(g.Key.Member)).ThenBy(g => System.Array.IndexOf(RoutableCalls.Methods, g.Key.Method))
            .Select(g => Interceptor(g.Key.Member, signatures[g.Key], g.Value))
            .ToEquatableArray();
    }

    /// <summary>
    /// The receiver and method name of <c>receiver.name(…)</c>, or of <c>receiver?.name(…)</c> (a member binding
    /// binds to the nearest enclosing conditional access).
    /// </summary>
    private static (ExpressionSyntax? Receiver, SimpleNameSyntax Name) ReceiverAndName(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        MemberAccessExpressionSyntax access => (access.Expression, access.Name),
        MemberBindingExpressionSyntax binding => (invocation.FirstAncestorOrSelf<ConditionalAccessExpressionSyntax>(c => c.WhenNotNull.Span.Contains(invocation.Span))?.Expression, binding.Name),
        _ => (null, SyntaxFactory.IdentifierName("")),
    };

    /// <summary>
    /// The target whose layer <paramref name="receiver"/> is: the target member itself, an element of a collection
    /// target (<c>experts[i]</c>), or the variable of a <c>foreach</c> over one (read-only, so always an element).
    /// </summary>
    private static ResolvedTarget? TargetLayerOf(ExpressionSyntax receiver, SemanticModel model,
        IReadOnlyDictionary<ISymbol, ResolvedTarget> byMember, CancellationToken cancellationToken)
    {
        while (receiver is ParenthesizedExpressionSyntax parenthesized) receiver = parenthesized.Expression;
        if (receiver is ElementAccessExpressionSyntax element)
            return CollectionTarget(element.Expression, model, byMember, cancellationToken);
        var symbol = model.GetSymbolInfo(receiver, cancellationToken).Symbol;
        if (symbol is ILocalSymbol local)
            return RoutableCalls.ForEachCollection(local, cancellationToken) is { } collection ? CollectionTarget(collection, model, byMember, cancellationToken) : null;
        return symbol is not null && byMember.TryGetValue(symbol.OriginalDefinition, out var target) && !RoutableCalls.IsCollection(target) ? target : null;
    }

    private static ResolvedTarget? CollectionTarget(ExpressionSyntax collection, SemanticModel model,
        IReadOnlyDictionary<ISymbol, ResolvedTarget> byMember, CancellationToken cancellationToken)
    {
        var symbol = model.GetSymbolInfo(collection, cancellationToken).Symbol;
        return symbol is not null && byMember.TryGetValue(symbol.OriginalDefinition, out var target) && RoutableCalls.IsCollection(target) ? target : null;
    }

    private static InterceptorModel Interceptor(string member, IMethodSymbol method, List<CallSiteModel> sites) => new(
        member,
        method.Name,
        method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
        method.Parameters[0].Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
        method.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
        sites.ToEquatableArray());

    /// <summary><c>File.cs(12,25)</c>: short enough for a comment, stable across machines.</summary>
    private static string Display(SyntaxNode node)
    {
        var span = node.GetLocation().GetLineSpan();
        return $"{Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})";
    }
}
