using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Models;

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
}
