using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace LoraSdk.Generators.Emit;

/// <summary>
/// The names the generator writes into user projects, spelled once: the emitters use them, the resolver checks
/// that a [LoRA] class does not declare them already (LORA007), and the analyzers recognise the generated files.
/// </summary>
internal static class GeneratedNames
{
    /// <summary>The generated static list of a class's targets (<c>LoraSdk.LoraTargetInfo</c>).</summary>
    public const string TargetsProperty = "LoraTargets";

    /// <summary>The generated field holding the adapters a class attached itself.</summary>
    public const string AdaptersField = "_generatedLoraAdapters";

    /// <summary>The generated core of ILoraLayer.ModuleAdapters that its members read (a derived [LoRA] class extends it).</summary>
    public const string ModuleAdaptersCoreProperty = "ModuleAdaptersCore";

    /// <summary>Members the generated half declares; the user's half must not (LORA007).</summary>
    public static readonly ImmutableArray<string> Members = ImmutableArray.Create(
        "RegisterComponents", TargetsProperty, "IsMerged", "Merge", "Unmerge", AdaptersField, ModuleAdaptersCoreProperty);

    /// <summary>The suffix of every file this generator emits.</summary>
    public const string FileSuffix = ".LoRA.g.cs";

    /// <summary>The namespace of the generated interceptor classes.</summary>
    public const string InterceptorsNamespace = "LoraSdk.Generated";

    /// <summary>The file-local class that holds one generated file's interceptors.</summary>
    public const string InterceptorsClass = "LoraInterceptors";

    /// <summary>The generated file of a class, from its metadata-style full name (<c>Ns.Outer.Block`1</c>): unique and file-name safe.</summary>
    public static string FileName(string metadataName) => metadataName + FileSuffix;

    /// <summary>True for this generator's own output (the analyzers see it in the compilation).</summary>
    public static bool IsGeneratedFile(SyntaxTree tree) => tree.FilePath.EndsWith(FileSuffix, StringComparison.Ordinal);

    /// <summary>The interceptor of one target's calls of one method, e.g. <c>query_forward</c>.</summary>
    public static string Interceptor(string targetMember, string method) => $"{targetMember}_{method}";
}
