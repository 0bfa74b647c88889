using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraSdk.Generators.Parsing;

/// <summary>
/// The arguments of one <c>[LoRA]</c> application, each null when the user did not write it, with the
/// source locations of each argument for diagnostics.
/// </summary>
internal sealed class LoraAttributeValues
{
    private LoraAttributeValues(AttributeData data) => Data = data;

    public AttributeData Data { get; }
    public int? Rank { get; private set; }
    public double? Alpha { get; private set; }
    public double? Dropout { get; private set; }
    public bool? UseRsLoRA { get; private set; }
    public bool? UseDoRA { get; private set; }
    public string? Init { get; private set; }
    /// <summary>A <c>LoraSdk.LoraBase</c> member name.</summary>
    public string? Base { get; private set; }

    /// <summary>The <c>Targets</c> names, or default when not written.</summary>
    public ImmutableArray<string?> Targets { get; private set; }

    public static LoraAttributeValues Read(AttributeData data)
    {
        var values = new LoraAttributeValues(data);
        if (data.ConstructorArguments.Length == 1 && data.ConstructorArguments[0].Value is int rank)
            values.Rank = rank;
        foreach (var named in data.NamedArguments)
        {
            var constant = named.Value;
            switch (named.Key)
            {
                case "Alpha" when constant.Value is double alpha: values.Alpha = alpha; break;
                case "Dropout" when constant.Value is double dropout: values.Dropout = dropout; break;
                case "UseRsLoRA" when constant.Value is bool rs: values.UseRsLoRA = rs; break;
                case "UseDoRA" when constant.Value is bool dora: values.UseDoRA = dora; break;
                case "Init": values.Init = EnumMemberName(constant); break;
                case "Base": values.Base = EnumMemberName(constant); break;
                case "Targets" when constant.Kind == TypedConstantKind.Array:
                    values.Targets = constant.Values.Select(v => v.Value as string).ToImmutableArray();
                    break;
            }
        }
        return values;
    }

    private static string? EnumMemberName(TypedConstant constant) =>
        constant.Type?.GetMembers().OfType<IFieldSymbol>()
            .FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, constant.Value))?.Name;

    /// <summary>The whole attribute, e.g. <c>LoRA(rank: 8)</c>.</summary>
    public Location AttributeLocation(CancellationToken cancellationToken) =>
        Syntax(cancellationToken)?.GetLocation() ?? Location.None;

    /// <summary>The rank argument (the first positional one).</summary>
    public Location RankLocation(CancellationToken cancellationToken) =>
        Syntax(cancellationToken)?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals is null)?.GetLocation()
        ?? AttributeLocation(cancellationToken);

    /// <summary>A named argument such as <c>Alpha = 0</c>.</summary>
    public Location NamedArgumentLocation(string name, CancellationToken cancellationToken) =>
        NamedArgument(name, cancellationToken)?.GetLocation() ?? AttributeLocation(cancellationToken);

    /// <summary>One element of the <c>Targets</c> array (its string literal), or the whole argument.</summary>
    public Location TargetElementLocation(int index, CancellationToken cancellationToken)
    {
        var argument = NamedArgument("Targets", cancellationToken);
        if (argument is null) return AttributeLocation(cancellationToken);
        ExpressionSyntax? element = argument.Expression switch
        {
            ArrayCreationExpressionSyntax { Initializer: { } init } when index < init.Expressions.Count => init.Expressions[index],
            ImplicitArrayCreationExpressionSyntax { Initializer: var init } when index < init.Expressions.Count => init.Expressions[index],
            CollectionExpressionSyntax collection when index < collection.Elements.Count
                => (collection.Elements[index] as ExpressionElementSyntax)?.Expression,
            _ => null,
        };
        return (element ?? argument.Expression).GetLocation();
    }

    private AttributeArgumentSyntax? NamedArgument(string name, CancellationToken cancellationToken) =>
        Syntax(cancellationToken)?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);

    private AttributeSyntax? Syntax(CancellationToken cancellationToken) =>
        Data.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
}
