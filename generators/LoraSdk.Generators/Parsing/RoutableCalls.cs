using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraSdk.Generators.Parsing;

/// <summary>
/// Which calls of a LoRA target run its adapter: <c>forward(x)</c> / <c>call(x)</c> on the target, on an element of a
/// collection target, or on a <c>foreach</c> variable over one. <see cref="CallSiteFinder"/> intercepts exactly these;
/// the analyzer (LORA006) allows exactly these, so what is routed and what is reported never disagree.
/// </summary>
internal static class RoutableCalls
{
    /// <summary>The intercepted method names, in the order a generated file lists their interceptors.</summary>
    public static readonly string[] Methods = ["forward", "call"];

    /// <summary>An instance method with one argument named as one of <see cref="Methods"/> (not an extension method).</summary>
    public static bool IsRoutable(IMethodSymbol method) =>
        !method.IsStatic && method.ReducedFrom is null && method.Parameters.Length == 1 && Methods.Contains(method.Name);

    /// <summary>A <c>ModuleList&lt;T&gt;</c>/<c>ModuleDict&lt;T&gt;</c> target: its layers are called through elements or a foreach variable.</summary>
    public static bool IsCollection(ResolvedTarget target) => target.Shape is Records.TargetShape.ModuleList or Records.TargetShape.ModuleDict;

    /// <summary>The collection a <c>foreach</c> variable (or a part of its deconstruction) iterates over, or null.</summary>
    public static ExpressionSyntax? ForEachCollection(ILocalSymbol local, CancellationToken cancellationToken)
    {
        if (local.DeclaringSyntaxReferences.Length != 1) return null;
        var declaration = local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        return declaration switch
        {
            ForEachStatementSyntax statement => statement.Expression,
            _ => declaration.FirstAncestorOrSelf<ForEachVariableStatementSyntax>() is { } deconstruction
                 && deconstruction.Variable.Span.Contains(declaration.Span) ? deconstruction.Expression : null,
        };
    }

    /// <summary>The routable calls of <paramref name="target"/> as a user writes them (LORA006's message).</summary>
    public static string Describe(ResolvedTarget target) => IsCollection(target)
        ? $"'{target.Member.Name}[i].forward(x)', '{target.Member.Name}[i].call(x)' and those calls on a foreach variable over '{target.Member.Name}'"
        : $"'{target.Member.Name}.forward(x)' and '{target.Member.Name}.call(x)'";
}
