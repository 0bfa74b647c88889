using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.ResNet;

/// <summary>
/// The input each adapted convolution of <see cref="ResNet18"/> sees in a forward. Adapters are reached through
/// interceptors (no module hooks run), but blocks are called with <c>call</c>, so a pre-hook on each block takes
/// the block's input: its <c>conv1</c> and (subsampled by the block's stride) its <c>downsample.0</c> see that;
/// <c>conv2</c> sees a tensor of conv1's output shape (here relu of the base conv1's output, batch norm left out:
/// the same shape, the timing does not depend on the values); the stem <c>conv1</c> sees the network's input.
/// </summary>
internal static class AdapterInputs
{
    public static List<(string Path, LoraAdapter Adapter, Tensor Input)> Capture(ResNet18 model, Tensor input)
    {
        var blockInputs = new Dictionary<string, Tensor>();
        var hooks = model.named_modules().Where(m => m.module is BasicBlock).Select(m =>
        {
            string path = m.name;
            return ((BasicBlock)m.module).register_forward_pre_hook((_, x) =>
            {
                blockInputs[path] = x.detach().clone().DetachFromDisposeScope();
                return x;
            });
        }).ToList();
        using (model.DisableLoRA())
        using (model.call(input)) { }
        foreach (var hook in hooks) hook.remove();

        var adapters = model.ActiveLoraAdapters().ToDictionary(a => a.Path, a => a.Adapter);
        var result = new List<(string, LoraAdapter, Tensor)>();
        foreach (var (path, adapter) in model.ActiveLoraAdapters())
        {
            int dot = path.IndexOf(".conv", StringComparison.Ordinal) is >= 0 and var i ? i : path.IndexOf(".downsample", StringComparison.Ordinal);
            if (dot < 0)
            {
                result.Add((path, adapter, input.clone())); // the stem
                continue;
            }
            var block = blockInputs[path[..dot]];
            using var firstOutput = adapters[path[..dot] + ".conv1"].BaseForward(block);
            Tensor seen = path[(dot + 1)..] switch
            {
                "conv1" => block.clone(),
                "conv2" => firstOutput.relu(),
                _ => block[.., .., TensorIndex.Slice(step: block.shape[2] / firstOutput.shape[2]), TensorIndex.Slice(step: block.shape[3] / firstOutput.shape[3])].contiguous(),
            };
            result.Add((path, adapter, seen));
        }
        foreach (var t in blockInputs.Values) t.Dispose();
        return result;
    }
}
