using System.Collections.Immutable;
using LoraSdk.Generators.Diagnostics;
using LoraSdk.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraSdk.Generators.Analysis;

/// <summary>
/// Reports what is wrong with a <c>[LoRA]</c> class (LORA001–005, LORA007, LORA008, LORA010, LORA011). The rules live in
/// <see cref="LoraClassResolver"/>, which the generator also uses: a class reported here gets no code.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LoraClassAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        LoraDiagnostics.NotPartial, LoraDiagnostics.NotAModule, LoraDiagnostics.InvalidRank,
        LoraDiagnostics.InvalidTarget, LoraDiagnostics.InvalidHyperParameter, LoraDiagnostics.MemberAlreadyDeclared,
        LoraDiagnostics.NoTargets, LoraDiagnostics.InheritedLayerNotAdapted, LoraDiagnostics.LayerSkipped);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        LoraCompilations.Register(context, (start, known) =>
        {
            start.RegisterSymbolAction(symbolContext =>
            {
                var type = (INamedTypeSymbol)symbolContext.Symbol;
                if (!LoraClassResolver.IsLoraClass(type, known)) return;
                var resolution = LoraClassResolver.Resolve(type, known, symbolContext.CancellationToken);
                foreach (var problem in resolution.Problems) symbolContext.ReportDiagnostic(problem);
            }, SymbolKind.NamedType);
        });
    }
}
