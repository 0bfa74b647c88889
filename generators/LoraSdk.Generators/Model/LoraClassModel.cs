namespace LoraSdk.Generators.Model;

// The generator's pipeline models: plain strings and numbers only (no ISymbol, SyntaxNode, Location or
// Compilation), so equal inputs compare equal between runs and the emit step stays cached.

/// <summary>Everything needed to emit one <c>[LoRA]</c> class's generated file.</summary>
/// <param name="HintName">Unique, file-name-safe name of the generated file.</param>
/// <param name="Namespace">The class's namespace, or null for the global namespace.</param>
/// <param name="ContainingTypes">Enclosing type declarations, outermost first (e.g. <c>partial class Outer</c>).</param>
/// <param name="Declaration">The class's own partial declaration header, e.g. <c>partial class Block&lt;T&gt;</c>.</param>
/// <param name="DisplayName">The class's full name as users read it (comments and runtime messages).</param>
internal sealed record LoraClassModel(
    string HintName,
    string? Namespace,
    EquatableArray<string> ContainingTypes,
    string Declaration,
    string DisplayName,
    EquatableArray<LoraTargetModel> Targets,
    EquatableArray<InterceptorModel> Interceptors);

/// <summary>One adapted layer with its resolved hyper-parameters.</summary>
/// <param name="Member">The field or property name in C#.</param>
/// <param name="Name">The module name (TorchSharp's [ComponentName], else <paramref name="Member"/>): adapter files use it.</param>
/// <param name="Kind">Linear, Conv2d or Embedding (names of <c>LoraSdk.LoraLayerKind</c>).</param>
/// <param name="Init">A <c>LoraSdk.LoraInit</c> member name.</param>
internal sealed record LoraTargetModel(
    string Member,
    string Name,
    string Kind,
    int Rank,
    double Alpha,
    double Dropout,
    bool UseRsLoRA,
    string Init)
{
    public double Scaling => UseRsLoRA ? Alpha / System.Math.Sqrt(Rank) : Alpha / Rank;
}

/// <summary>
/// One interceptor method: every call of <see cref="Method"/> on one target, with the intercepted
/// method's exact signature (the interceptor must match it, <c>this</c> being the declaring type).
/// </summary>
internal sealed record InterceptorModel(
    string TargetMember,
    string Method,
    string ThisType,
    string ParameterType,
    string ReturnType,
    EquatableArray<CallSiteModel> CallSites);

/// <summary>An intercepted call: the opaque location data of <c>InterceptsLocationAttribute</c> and where it is.</summary>
internal sealed record CallSiteModel(int Version, string Data, string DisplayLocation);
