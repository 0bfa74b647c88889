using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using LoraSdk.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraSdk.Generators.Parsing;

/// <summary>
/// Finds every <c>target.forward(x)</c> / <c>target.call(x)</c> inside a <c>[LoRA]</c> class (all its
/// partial parts, nested lambdas and types included) and groups them into interceptor models.
/// Uses the analyzer's LORA006 rules in reverse: what is found here is exactly what it allows.
/// </summary>
internal static class CallSiteFinder
{
    public static readonly string[] RoutedMethods = ["forward", "call"];

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
                if (invocation.Expression is not MemberAccessExpressionSyntax access
                    || !RoutedMethods.Contains(access.Name.Identifier.ValueText)) continue;
                var receiver = model.GetSymbolInfo(access.Expression, cancellationToken).Symbol;
                if (receiver is null || !byMember.TryGetValue(receiver.OriginalDefinition, out var target)) continue;
                if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol { IsStatic: false, ReducedFrom: null, Parameters.Length: 1 } method) continue;
                var location = model.GetInterceptableLocation(invocation, cancellationToken);
                if (location is null) continue;

                var key = (target.Member.Name, method.Name);
                if (!groups.TryGetValue(key, out var sites))
                {
                    groups[key] = sites = [];
                    signatures[key] = method;
                }
                sites.Add(new CallSiteModel(location.Version, location.Data, Display(access.Name)));
            }
        }

        // In target declaration order, forward before call: the generated file reads like the class.
        var order = targets.Select(t => t.Member.Name).ToList();
        return groups
            .OrderBy(g => order.IndexOf(g.Key.Member)).ThenBy(g => System.Array.IndexOf(RoutedMethods, g.Key.Method))
            .Select(g => Interceptor(g.Key.Member, signatures[g.Key], g.Value))
            .ToEquatableArray();
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
