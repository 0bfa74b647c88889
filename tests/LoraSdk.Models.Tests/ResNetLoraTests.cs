using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>ResNet-18's adapters: PEFT/torchvision names, routing (downsample included), merge and import checks.</summary>
[Collection(ResNetCollection.Name)]
public sealed class ResNetLoraTests
{
    [Fact]
    public void Adapters_sit_on_every_convolution_under_torchvision_names()
    {
        using var model = new ResNet18(labelCount: 4);
        var names = model.LoraParameters().Select(p => p.Name).ToHashSet();

        // conv1, 9 blocks × 2 convolutions, 3 downsample convolutions; A and B each.
        Assert.Equal(22 * 2, names.Count);
        Assert.Contains("conv1.lora_A.weight", names);
        Assert.Contains("layer1.0.conv1.lora_A.weight", names);
        Assert.Contains("layer2.0.downsample.0.lora_A.weight", names);
        Assert.Contains("layer4.2.conv2.lora_B.weight", names);
        Assert.DoesNotContain(names, n => n.StartsWith("fc.", StringComparison.Ordinal));

        var state = model.BaseState().Keys.ToHashSet();
        Assert.Contains("layer2.0.downsample.0.weight", state);
        Assert.Contains("layer2.0.downsample.1.running_mean", state);
        Assert.Contains("layer3.1.bn2.weight", state);
        Assert.Contains("fc.bias", state);
    }

    [Fact]
    public void Only_adapters_train_after_construction_and_the_downsample_adapter_gets_gradients()
    {
        // Measured here (TorchSharp 0.107, 2 cores): with 2 intra-op threads this backward sometimes gave NaN
        // gradients in the early layers; with 1 thread never (docs/models.md).
        set_num_threads(1);
        using var model = new ResNet18(labelCount: 3, ResNet18.TorchvisionBlocks);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.All(trainable, name => Assert.Contains(".lora_", name));
        Assert.Equal(model.LoraParameters().Count, trainable.Count);

        SetAdapters(model, seed: 3);
        model.train();
        using var images = randn(2, 3, 32, 32, generator: new Generator().manual_seed(1));
        using var logits = model.call(images);
        using var loss = logits.square().sum();
        loss.backward();
        var downsampleA = model.named_parameters().Single(p => p.name == "layer2.0.downsample.0_lora.lora_A.weight").parameter;
        Assert.NotNull(downsampleA.grad);
        Assert.True(downsampleA.grad!.abs().sum().item<float>() > 0);
        Assert.All(model.LoraParameters(), p => Assert.False(p.Parameter.grad!.isnan().any().item<bool>(), $"{p.Name} has NaN gradients"));
    }

    [Fact]
    public void Backward_gives_finite_gradients_at_every_new_input_size_on_two_threads()
    {
        // Each new input size makes oneDNN build new kernels. Measured on this project's AMD EPYC (AVX-512): without
        // OneDnnIsaCap the first backward through them gave NaN gradients in up to 8 of 12 runs on 2 threads
        // (docs/numerics.md); run this test with ONEDNN_MAX_CPU_ISA=ALL to see it.
        int threads = get_num_threads();
        set_num_threads(2);
        try
        {
            using var model = new ResNet18(labelCount: 3, ResNet18.TorchvisionBlocks);
            SetAdapters(model, seed: 5);
            model.train();
            var generator = new Generator().manual_seed(6);
            foreach (int side in new[] { 32, 40, 48, 56, 64 })
            {
                using var scope = NewDisposeScope();
                model.zero_grad();
                var loss = model.call(randn(8, 3, side, side, generator: generator)).square().sum();
                loss.backward();
                Assert.All(model.LoraParameters(), p => Assert.True(p.Parameter.grad!.isfinite().all().item<bool>(), $"{p.Name}: non-finite gradient at input side {side}"));
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void Merged_forward_equals_the_adapted_forward_and_unmerge_restores_the_base()
    {
        using var model = new ResNet18(labelCount: 5, ResNet18.TorchvisionBlocks);
        model.eval();
        using var _ = no_grad();
        using var images = randn(2, 3, 64, 64, generator: new Generator().manual_seed(2));
        using var baseOutput = model.call(images);
        SetAdapters(model, seed: 4);
        using var adapted = model.call(images);
        Assert.True((adapted - baseOutput).abs().max().item<float>() > 1e-3, "the adapters change nothing");

        var before = model.BaseState().ToDictionary(p => p.Key, p => p.Value.clone());
        model.MergeLoRA(safe: true);
        using var merged = model.call(images);
        Assert.True((merged - adapted).abs().max().item<float>() < 1e-4);
        model.UnmergeLoRA();
        foreach (var (name, weight) in model.BaseState())
            Assert.True((weight - before[name]).abs().max().item<float>() < 1e-5, name);
    }

    [Fact]
    public void Importing_the_package_graph_into_torchvision_layout_names_the_extra_block()
    {
        using var model = new ResNet18(labelCount: 2, ResNet18.TorchvisionBlocks);
        var error = Assert.Throws<WeightImportException>(() => OnnxResNetImporter.Import(model, ResNet18Package.ModelPath()));
        Assert.Contains("after layer4.1", error.Message);
        Assert.Contains("ResNet18.onnx", error.Message);
    }

    /// <summary>Gives every adapter a non-zero B (A is already random), as training would.</summary>
    private static void SetAdapters(ResNet18 model, int seed)
    {
        var generator = new Generator().manual_seed(seed);
        using var _ = no_grad();
        foreach (var (name, parameter) in model.LoraParameters().Where(p => p.Name.Contains("lora_B")))
            parameter.copy_(randn(parameter.shape, generator: generator) * 0.05);
    }
}
