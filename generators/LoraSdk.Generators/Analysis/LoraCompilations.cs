using System;
using LoraSdk.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraSdk.Generators.Analysis;

/// <summary>Where both analyzers start: once per compilation that references LoraSdk (no [LoRA] type, nothing to check).</summary>
internal static class LoraCompilations
{
    public static void Register(AnalysisContext context, Action<CompilationStartAnalysisContext, KnownTypes> start) =>
        context.RegisterCompilationStartAction(compilation =>
        {
            var known = KnownTypes.From(compilation.Compilation);
            if (known.LoRAAttribute is not null) start(compilation, known);
        });
}
