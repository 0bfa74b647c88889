using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using LoraSdk.Generators.Diagnostics;
using LoraSdk.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LoraSdk.Generators.Analysis;

/// <summary>
/// LORA006: a LoRA target may only be called (the <see cref="RoutableCalls"/>, also through <c>?.</c>, inside its
/// class or a generated [LoRA] class derived from it, which the generator intercepts), read through (<c>target.weight</c>), null-checked, formatted,
/// and assigned in a constructor. Any other use could run the layer without its adapter, so it is an error, never
/// a silent bypass. LORA009: its weight computed with directly (<see cref="WeightFlow"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TargetUsageAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(LoraDiagnostics.UnroutableUse, LoraDiagnostics.DirectWeightUse);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        LoraCompilations.Register(context, (start, known) =>
        {
            var resolutions = new ConcurrentDictionary<INamedTypeSymbol, LoraClassResolution?>(SymbolEqualityComparer.Default);
            LoraClassResolution? ResolutionOf(INamedTypeSymbol type, OperationAnalysisContext operationContext) =>
                resolutions.GetOrAdd(type.OriginalDefinition, t => LoraClassResolver.IsLoraClass(t, known)
                    ? LoraClassResolver.Resolve(t, known, operationContext.CancellationToken)
                    : null);

            start.RegisterOperationAction(operationContext =>
            {
                var reference = (IMemberReferenceOperation)operationContext.Operation;
                var owner = reference.Member.ContainingType?.OriginalDefinition;
                if (owner is null || ResolutionOf(owner, operationContext) is not { } resolution) return;
                var target = resolution.Targets.FirstOrDefault(t => !t.Inherited
                    && SymbolEqualityComparer.Default.Equals(t.Member, reference.Member.OriginalDefinition));
                if (target is null) return;
                var rules = new TargetUseRules(target, owner, operationContext.ContainingSymbol, t => ResolutionOf(t, operationContext));
                Report(operationContext, rules.Check(reference, RoutableCalls.IsCollection(target)), target, owner);
            }, OperationKind.FieldReference, OperationKind.PropertyReference);

            // A foreach variable over a collection target is one of its layers: the same rules apply to it.
            start.RegisterOperationAction(operationContext =>
            {
                var reference = (ILocalReferenceOperation)operationContext.Operation;
                // The layer variable only: not its declaration, nor a ModuleDict entry's key.
                if (reference.IsDeclaration || !TargetUseRules.IsModule(reference.Local.Type)) return;
                if (RoutableCalls.ForEachCollection(reference.Local, operationContext.CancellationToken) is not { } collection) return;
                var symbol = reference.SemanticModel?.GetSymbolInfo(collection, operationContext.CancellationToken).Symbol;
                var owner = symbol?.ContainingType?.OriginalDefinition;
                if (owner is null || ResolutionOf(owner, operationContext) is not { } resolution) return;
                var target = resolution.Targets.FirstOrDefault(t => !t.Inherited && RoutableCalls.IsCollection(t)
                    && SymbolEqualityComparer.Default.Equals(t.Member, symbol!.OriginalDefinition));
                if (target is null) return;
                var rules = new TargetUseRules(target, owner, operationContext.ContainingSymbol, t => ResolutionOf(t, operationContext));
                Report(operationContext, rules.CheckLayer(reference, reference, element: true), target, owner);
            }, OperationKind.LocalReference);
        });
    }

    private static void Report(OperationAnalysisContext context, TargetUse use, ResolvedTarget target, INamedTypeSymbol owner)
    {
        if (use.Unroutable is { } reason)
        {
            context.ReportDiagnostic(Diagnostic.Create(LoraDiagnostics.UnroutableUse, use.At!.Syntax.GetLocation(),
                target.Member.Name, reason, owner.Name, RoutableCalls.Describe(target)));
        }
        // Named as written (query, this.query, experts[i]), so the suggested call is one the user can paste.
        if (use.WeightComputation is { } operation && use.At is IMemberReferenceOperation { Instance: { } layer } weight)
            context.ReportDiagnostic(Diagnostic.Create(LoraDiagnostics.DirectWeightUse, weight.Syntax.GetLocation(), layer.Syntax.ToString(), operation));
    }
}
