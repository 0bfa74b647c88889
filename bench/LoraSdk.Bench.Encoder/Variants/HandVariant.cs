using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>The hand-written LoRA classifier: the same operations as <see cref="SdkVariant"/>, done by hand.</summary>
public sealed class HandVariant(BenchEncoder model) : EncoderVariant
{
    private List<HandLoraLinear> Adapted => [.. model.modules().OfType<HandLoraLinear>()];

    public override nn.Module<Tensor, Tensor, Tensor> Model => model;

    public override void TrainAdaptersAndHead()
    {
        foreach (var (name, parameter) in model.named_parameters())
            parameter.requires_grad = IsFactor(name) || name.StartsWith("classifier.", StringComparison.Ordinal);
    }

    public override void TrainEverything()
    {
        foreach (var (name, parameter) in model.named_parameters()) parameter.requires_grad = !IsFactor(name);
        foreach (var linear in Adapted) linear.Enabled = false;
    }

    private static bool IsFactor(string name) => name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal);

    public override IDisposable AdaptersOff()
    {
        foreach (var linear in Adapted) linear.Enabled = false;
        return new Restore(() => { foreach (var linear in Adapted) linear.Enabled = true; });
    }

    public override void Merge()
    {
        foreach (var linear in Adapted) linear.Merge(true);
    }

    public override void Unmerge()
    {
        foreach (var linear in Adapted) linear.Merge(false);
    }

    public override IEnumerable<Tensor> AdapterFactors => Adapted.SelectMany(l => l.Factors);

    private sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
