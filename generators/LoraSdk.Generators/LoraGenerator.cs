using LoraSdk.Generators.Emit;
using LoraSdk.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoraSdk.Generators;

/// <summary>
/// Generates the LoRA half of every class that carries <c>[LoRA]</c> (on the class or on its fields):
/// adapter attachment in <c>RegisterComponents()</c>, <c>ILoraLayer</c>, static target metadata, and
/// interceptors that route the class's <c>target.forward(x)</c>/<c>target.call(x)</c> calls through the
/// adapters. Classes with problems get no code; <see cref="Analysis.LoraClassAnalyzer"/> reports them.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class LoraGenerator : IIncrementalGenerator
{
    /// <summary>Tracking name of the per-class model step (incremental tests watch it).</summary>
    public const string ModelStep = "LoraClassModel";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypes.LoRAAttributeName,
                static (node, _) => node is ClassDeclarationSyntax or VariableDeclaratorSyntax or PropertyDeclarationSyntax,
                static (ctx, ct) => LoraClassModelBuilder.Build(ctx, ct))
            .Where(static model => model is not null)
            .WithTrackingName(ModelStep);

        context.RegisterSourceOutput(models, static (spc, model) =>
            spc.AddSource(model!.HintName, LoraClassEmitter.Emit(model)));
    }
}
