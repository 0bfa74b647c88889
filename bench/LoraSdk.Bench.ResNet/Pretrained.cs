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

    /// <summary>
    /// The network in evaluation mode with non-zero B (as after training), and one preprocessed batch of random
    /// images (batch × 3 × side × side), for the inference benchmarks.
    /// </summary>
    public static (ResNet18 Model, Tensor Input) ForInference(Arguments a, int batch, int side)
    {
        var (model, preprocessing) = Load(a);
        using var _ = preprocessing;
        RandomiseLoraB(model);
        model.eval();
        using var images = rand(batch, 3, side, side) * 255;
        return (model, preprocessing.Apply(images));
    }

    // B starts at zero, which would make the update trivially cheap to skip.
    private static void RandomiseLoraB(ResNet18 model)
    {
        using var _ = no_grad();
        foreach (var (_, p) in model.LoraParameters().Where(p => p.Name.Contains("lora_B"))) p.normal_(0, 0.01);
    }
}
