using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>The base (non-LoRA) weights of a module, as importers and checkpoints name them.</summary>
public static class BaseParameterExtensions
{
    /// <summary>
    /// The module's own weights by dotted path, without the parameters of attached LoRA adapters: what an
    /// importer writes and what a full checkpoint holds.
    /// </summary>
    public static Dictionary<string, Tensor> BaseParameters(this nn.Module model)
    {
        var adapterPrefixes = model.named_modules().Where(m => m.module is LoraAdapter).Select(m => m.name + ".").ToList();
        return model.named_parameters()
            .Where(p => !adapterPrefixes.Any(prefix => p.name.StartsWith(prefix, StringComparison.Ordinal)))
            .ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
    }

    /// <summary>
    /// <see cref="BaseParameters"/> plus the floating-point buffers (batch-norm running statistics): everything
    /// a pretrained checkpoint sets. Integer buffers (<c>num_batches_tracked</c>) are left out.
    /// </summary>
    public static Dictionary<string, Tensor> BaseState(this nn.Module model)
    {
        var state = model.BaseParameters();
        foreach (var (name, buffer) in model.named_buffers())
        {
            if (buffer.is_floating_point()) state[name] = buffer;
        }
        return state;
    }
}
