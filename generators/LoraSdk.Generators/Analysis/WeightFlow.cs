using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LoraSdk.Generators.Analysis;

/// <summary>
/// LORA009's rule: a target's <c>weight</c>, read directly or through layout-only steps (<c>t()</c>, <c>T</c>,
/// <c>transpose</c>, <c>view</c>, <c>to</c>, <c>detach</c>, …) in the same expression, flows into a TorchSharp
/// operation that computes with it as a layer would: an argument of <c>functional.linear</c>/<c>conv1d</c>/
/// <c>conv2d</c>/<c>embedding</c>/<c>matmul</c>/<c>mm</c>/<c>einsum</c>/…, the receiver of <c>matmul</c>/<c>mm</c>/…,
/// or indexed by a tensor (an embedding lookup). Anything else (a norm for logging, a shape, a copy) is allowed.
/// A weight stored in a variable first is not followed.
/// </summary>
internal static class WeightFlow
{
    private static readonly HashSet<string> LayoutSteps = new(StringComparer.Ordinal)
    {
        "t", "transpose", "permute", "reshape", "view", "view_as", "contiguous", "to", "type", "float", "double",
        "half", "bfloat16", "flatten", "squeeze", "unsqueeze", "detach", "clone", "expand", "expand_as", "alias",
    };

    private static readonly HashSet<string> LayoutProperties = new(StringComparer.Ordinal) { "T", "mT", "H", "mH" };

    private static readonly HashSet<string> Computations = new(StringComparer.Ordinal)
    {
        "linear", "bilinear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
        "embedding", "embedding_bag", "matmul", "mm", "bmm", "mv", "addmm", "addmv", "addbmm", "baddbmm", "einsum",
        "tensordot", "inner", "outer", "dot", "vdot", "chain_matmul", "multi_dot", "index_select", "kron",
    };

    /// <summary>The operation the weight read by <paramref name="weight"/> is computed with, or null when it is not.</summary>
    public static string? ComputedWith(IPropertyReferenceOperation weight)
    {
        IOperation current = weight;
        while (true)
        {
            while (current.Parent is IConversionOperation { IsImplicit: true } conversion) current = conversion;
            switch (current.Parent)
            {
                case IInvocationOperation step when ReferenceEquals(step.Instance, current) && LayoutSteps.Contains(step.TargetMethod.Name):
                    current = step;
                    continue;
                case IPropertyReferenceOperation step when ReferenceEquals(step.Instance, current) && LayoutProperties.Contains(step.Property.Name):
                    current = step;
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation call } when IsComputation(call.TargetMethod):
                    return call.TargetMethod.Name;
                case IInvocationOperation call when ReferenceEquals(call.Instance, current) && IsComputation(call.TargetMethod):
                    return call.TargetMethod.Name;
                case IPropertyReferenceOperation { Property.IsIndexer: true } index when ReferenceEquals(index.Instance, current)
                                                                                     && index.Arguments.Any(IsTensorArgument):
                    return "indexing by a tensor";
                default:
                    return null;
            }
        }
    }

    private static bool IsComputation(IMethodSymbol method) =>
        Computations.Contains(method.Name)
        && method.ContainingNamespace?.ToDisplayString().StartsWith("TorchSharp", StringComparison.Ordinal) == true;

    /// <summary>A tensor index, also inside the <c>params TensorIndex[]</c> array of TorchSharp's indexer.</summary>
    private static bool IsTensorArgument(IArgumentOperation argument) => IsTensor(argument.Value);

    private static bool IsTensor(IOperation value)
    {
        while (value is IConversionOperation { IsImplicit: true } conversion) value = conversion.Operand;
        return value is IArrayCreationOperation { Initializer: { } elements }
            ? elements.ElementValues.Any(IsTensor)
            : value.Type?.Name == "Tensor";
    }

    /// <summary>True for a read of a layer's <c>weight</c> property.</summary>
    public static bool IsWeightRead(IMemberReferenceOperation member) =>
        member is IPropertyReferenceOperation { Property.Name: "weight" };
}
