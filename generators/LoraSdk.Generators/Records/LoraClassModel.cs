namespace LoraSdk.Generators.Records;

// The generator's pipeline models: plain strings and numbers only (no ISymbol, SyntaxNode, Location or
// Compilation), so equal inputs compare equal between runs and the emit step stays cached.

/// <summary>Everything needed to emit one <c>[LoRA]</c> class's generated file.</summary>
/// <param name="HintName">Unique, file-name-safe name of the generated file.</param>
/// <param name="Namespace">The class's namespace, or null for the global namespace.</param>
/// <param name="ContainingTypes">Enclosing type declarations, outermost first (e.g. <c>partial class Outer</c>).</param>
/// <param name="Declaration">The class's own partial declaration header, e.g. <c>partial class Block&lt;T&gt;</c>.</param>
/// <param name="DisplayName">The class's full name as users read it (comments and runtime messages).</param>
/// <param name="Targets">Inherited targets (attached by a [LoRA] base class) first, then the class's own.</param>
/// <param name="ChainsToBase">A base class is a generated [LoRA] class: chain to its adapters instead of implementing ILoraLayer again.</param>
/// <param name="IsSealed">Sealed classes get no virtual members.</param>
/// <param name="Skipped">Layer members a class-level [LoRA] leaves out, each "name (Type): reason".</param>
internal sealed record LoraClassModel(
    string HintName,
    string? Namespace,
    EquatableArray<string> ContainingTypes,
    string Declaration,
    string DisplayName,
    EquatableArray<LoraTargetModel> Targets,
    EquatableArray<InterceptorModel> Interceptors,
    bool ChainsToBase,
    bool IsSealed,
    EquatableArray<string> Skipped);

/// <summary>One adapted layer with its resolved hyper-parameters.</summary>
/// <param name="Member">The field or property name in C#.</param>
/// <param name="Name">The module name (TorchSharp's [ComponentName], else <paramref name="Member"/>): adapter files use it.</param>
/// <param name="Kind">Linear, Conv1d, Conv2d or Embedding (names of <c>LoraSdk.LoraLayerKind</c>); a collection's element kind.</param>
/// <param name="Init">A <c>LoraSdk.LoraInit</c> member name.</param>
/// <param name="Base">A <c>LoraSdk.LoraBase</c> member name: how the frozen base weight is stored.</param>
/// <param name="UseDoRA">DoRA (weight-decomposed LoRA) for this target.</param>
/// <param name="Inherited">Declared and attached by a [LoRA] base class; this class only routes its calls.</param>
internal sealed record LoraTargetModel(
    string Member,
    string Name,
    string Kind,
    int Rank,
    double Alpha,
    double Dropout,
    bool UseRsLoRA,
    string Init,
    string Base,
    bool UseDoRA,
    TargetShape Shape,
    bool Inherited)
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

/// <summary>What one target member holds.</summary>
internal enum TargetShape
{
    /// <summary>One layer, adapted (it must not be null when <c>RegisterComponents()</c> runs).</summary>
    Layer,

    /// <summary>A layer declared nullable: adapted when present, left out when null.</summary>
    OptionalLayer,

    /// <summary>A <c>ModuleList&lt;T&gt;</c>: each element adapted as <c>name.index</c>.</summary>
    ModuleList,

    /// <summary>A <c>ModuleDict&lt;T&gt;</c>: each element adapted as <c>name.key</c>.</summary>
    ModuleDict,
}
