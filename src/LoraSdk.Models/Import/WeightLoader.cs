using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>
/// Copies imported weights into a module's base (non-LoRA) parameters. Every parameter must be present
/// with its exact shape; all checks run before the first copy, so a failed import leaves the model as it was.
/// </summary>
internal static class WeightLoader
{
    /// <param name="targets">What to write, by path; default <see cref="BaseParameterExtensions.BaseParameters"/>.</param>
    /// <param name="model">The module whose base weights are replaced.</param>
    /// <param name="weights">The imported tensors by target path.</param>
    /// <param name="source">The file (or resource) named in errors.</param>
    /// <param name="ignored">Entries of the source that are not weights of the model.</param>
    public static ImportReport Load(nn.Module model, IReadOnlyDictionary<string, SourceTensor> weights, string source, IReadOnlyList<string> ignored,
        IReadOnlyDictionary<string, Tensor>? targets = null)
    {
        var adapters = model.ActiveLoraAdapters();
        var merged = adapters.FirstOrDefault(a => a.Adapter.IsMerged);
        if (merged.Adapter is not null)
            throw new InvalidOperationException(
                $"Cannot import base weights while the LoRA adapter of '{merged.Path}' is merged into them; call UnmergeLoRA() first.");

        targets ??= model.BaseParameters();
        var missing = targets.Keys.Where(name => !weights.ContainsKey(name)).ToList();
        if (missing.Count > 0)
            throw new WeightImportException(source,
                $"missing {missing.Count} weight(s): {string.Join(", ", missing.Take(8).Select(Describe))}{(missing.Count > 8 ? ", ..." : "")}.");

        foreach (var (name, parameter) in targets)
        {
            var found = weights[name];
            if (!found.Tensor.shape.SequenceEqual(parameter.shape))
                throw new WeightImportException(source,
                    $"weight {Describe(name)} (in the file: '{found.NameInFile}') has shape {Shape(found.Tensor.shape)}, but the model expects {Shape(parameter.shape)}.");
            if (!found.Tensor.is_floating_point())
                throw new WeightImportException(source, $"weight '{found.NameInFile}' has dtype {found.Tensor.dtype}; a floating-point tensor is required.");
        }

        using (no_grad())
        {
            foreach (var (name, parameter) in targets) parameter.copy_(weights[name].Tensor);
        }
        var unused = weights.Where(w => !targets.ContainsKey(w.Key)).Select(w => w.Value.NameInFile);
        return new ImportReport(source, targets.Count, [.. ignored, .. unused]);
    }

    private static string Describe(string path) => $"'{path}'";

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
