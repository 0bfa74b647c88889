using LoraSdk.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Quantization;

/// <summary>
/// What quantizing changes in a model's state: the float weight is released, parameter counts and freezing still
/// describe the model, merges and PiSSA are refused, adapters stay ordinary PEFT adapters, and a whole-model state
/// moves only between models quantized alike.
/// </summary>
[Collection(SeededTorch.Name)]
public class QuantizedBaseStateTests
{
    [Fact]
    public void TheFloatWeightIsReleasedAndOnlyQuantizedBuffersRemain()
    {
        using var model = new QuantizedTestModel(seed: 1);
        var before = model.CountParameters();
        var weight = model.UpLayer.weight;
        model.QuantizeBase(LoraBase.Nf4);

        Assert.True(weight.IsInvalid); // the module's handle to the float tensor is disposed
        Assert.Equal(0, model.UpLayer.weight.numel());
        Assert.False(model.UpLayer.weight.requires_grad);
        Assert.Equal(before, model.CountParameters()); // quantized weights count as the parameters they stand for
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("up_lora.base_quantized.weight_nf4", keys);
        Assert.Contains("up_lora.base_quantized.absmax", keys);
        Assert.Equal(LoraBase.Nf4, model.Up.BaseStorage);
        var (bytes, float32) = model.BaseWeightBytes();
        Assert.True((double)bytes / float32 <= 0.16, $"{bytes} of {float32}");
        Assert.All(model.parameters().Where(p => p.requires_grad), p => Assert.True(p.numel() > 0));
    }

    [Fact]
    public void ResidentMemoryDropsByTheFloatWeightsBytes()
    {
        if (!File.Exists("/proc/self/status")) return; // Linux only
        // 4096 × 4096 floats = 64 MiB: freed with munmap by glibc (above even the primed 32 MiB mmap threshold), so RSS
        // shows it. Quantizing's own temporaries are smaller and may stay in the heap, which the adapters' priming lets
        // keep up to 64 MiB free (LoraSdk.Native.MallocThreshold): trimming before each reading counts live memory only.
        using var owner = new Holder(4096);
        static long Rss()
        {
            LoraSdk.Native.MallocTrim.Release();
            return long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:"))["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
        }
        long before = Rss();
        owner.QuantizeBase(LoraBase.Nf4);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long after = Rss();
        Assert.True(before - after > 40L << 20, $"RSS {before >> 20} MiB → {after >> 20} MiB");
    }

    [Fact]
    public void MergingIntoAQuantizedBaseIsRefusedNamingTheLayer()
    {
        using var model = new QuantizedTestModel(seed: 2);
        model.QuantizeBase(LoraBase.Int8);
        var e = Assert.Throws<InvalidOperationException>(() => model.MergeLoRA());
        Assert.Contains("'up'", e.Message);
        Assert.Contains("quantized (Int8)", e.Message);
        Assert.False(model.Up.IsMerged);
        Assert.Throws<InvalidOperationException>(() => model.Down.Merge());
    }

    [Fact]
    public void UnsupportedLayerKindsAreNamed()
    {
        using var owner = new ConvOwner();
        var e = Assert.Throws<NotSupportedException>(() => owner.QuantizeBase(LoraBase.Nf4));
        Assert.Contains("'conv'", e.Message);
        Assert.Contains("Conv2d", e.Message);
        Assert.Equal(LoraBase.Float32, owner.ActiveLoraAdapters()[0].Adapter.BaseStorage);
    }

    [Fact]
    public void AnAdapterTrainedOnAQuantizedBaseIsAnOrdinaryAdapterForAFloatBase()
    {
        using var folder = new TempDirectory();
        using var quantized = new QuantizedTestModel(seed: 3);
        quantized.QuantizeBase(LoraBase.Nf4);
        quantized.SaveAdapter(folder.Path);
        Assert.DoesNotContain("quant", File.ReadAllText(Path.Combine(folder.Path, "adapter_config.json")));

        using var floatBase = new QuantizedTestModel(seed: 4);
        floatBase.LoadAdapter(folder.Path);
        foreach (var ((name, p), (_, q)) in quantized.LoraParameters().Zip(floatBase.LoraParameters()))
            Assert.True(Close.Identical(p, q), name);

        // And back: an adapter saved from the float model loads onto the quantized one.
        using var back = new TempDirectory();
        floatBase.SaveAdapter(back.Path);
        using var again = new QuantizedTestModel(seed: 5);
        again.QuantizeBase(LoraBase.Int8);
        again.LoadAdapter(back.Path);
        foreach (var ((name, p), (_, q)) in floatBase.LoraParameters().Zip(again.LoraParameters()))
            Assert.True(Close.Identical(p, q), name);
    }

    [Fact]
    public void AWholeModelStateLoadsIntoAModelQuantizedAlikeAndAFloatModelRefusesIt()
    {
        using var folder = new TempDirectory();
        string file = Path.Combine(folder.Path, "model.dat");
        using var quantized = new QuantizedTestModel(seed: 6);
        quantized.QuantizeBase(LoraBase.Nf4DoubleQuant);
        quantized.save(file);

        using var alike = new QuantizedTestModel(seed: 7);
        alike.QuantizeBase(LoraBase.Nf4DoubleQuant);
        alike.load(file);
        using var x = randn(2, QuantizedTestModel.Width);
        using (no_grad()) Assert.True(Close.Identical(quantized.call(x), alike.call(x)));

        using var floatModel = new QuantizedTestModel(seed: 8);
        Assert.ThrowsAny<Exception>(() => floatModel.load(file));

        // A quantized model turned back to float holds the quantized values as float weights.
        quantized.QuantizeBase(LoraBase.Float32);
        Assert.Equal(LoraBase.Float32, quantized.Up.BaseStorage);
        Assert.DoesNotContain(quantized.state_dict().Keys, k => k.Contains("base_quantized"));
        using (no_grad()) Assert.True(Close.Identical(alike.call(x), quantized.call(x)));
    }

    [Fact]
    public void ModelToDtypeKeepsTheCodesAndComputesInTheNewDtype()
    {
        using var model = new QuantizedTestModel(seed: 9);
        model.QuantizeBase(LoraBase.Nf4);
        using var before = model.Up.QuantizedBase!.Dequantize(float64);
        model.to(float64);
        using var after = model.Up.QuantizedBase!.Dequantize(float64);
        Assert.True(Close.Identical(before, after));
        using var x = randn(2, QuantizedTestModel.Width, dtype: float64);
        using (no_grad()) Assert.Equal(ScalarType.Float64, model.call(x).dtype);
    }

    private sealed class Holder : nn.Module<Tensor, Tensor>
    {
        private readonly Linear big;

        public Holder(long size) : base(nameof(Holder))
        {
            big = nn.Linear(size, size, hasBias: false);
            RegisterComponents();
            LoraAdapter.Attach(this, nameof(big), big, new LoraOptions(1, 1));
        }

        public override Tensor forward(Tensor x) => LoraRouter.Forward(big, x, "Holder.big");
    }

    private sealed class ConvOwner : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv;

        public ConvOwner() : base(nameof(ConvOwner))
        {
            conv = nn.Conv2d(2, 3, 3);
            RegisterComponents();
            LoraAdapter.Attach(this, nameof(conv), conv, new LoraOptions(2, 2));
        }

        public override Tensor forward(Tensor x) => LoraRouter.Forward(conv, x, "ConvOwner.conv");
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("lorasdk-quant-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
