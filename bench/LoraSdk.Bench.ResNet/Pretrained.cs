using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Bench.ResNet;

/// <summary>The common start of every benchmark: thread count, seed, the pretrained network and its preprocessing.</summary>
internal static class Pretrained
{
    public static (ResNet18 Model, ResNetPreprocessing Preprocessing) Load(Arguments a, long seed = 42)
    {
        set_num_threads(a.Int("threads", 1));
        manual_seed(seed);
        return (ResNet18Package.Load(labelCount: 10), ResNet18Package.LoadPreprocessing());
    }
}
