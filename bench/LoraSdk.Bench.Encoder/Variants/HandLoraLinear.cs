using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Bench.Encoder;

/// <summary>
/// LoRA written by hand, as a TorchSharp user would without the SDK (PEFT's formulation):
/// base(x) + B(A(x))·scaling, A kaiming-uniform, B zeros, merge folding B·A·scaling into the weight.
/// </summary>
public sealed class HandLoraLinear : nn.Module<Tensor, Tensor>
{
    private readonly Linear @base;
    private readonly Linear lora_A;
    private readonly Linear lora_B;
    private readonly double _scaling;

    public HandLoraLinear(long inFeatures, long outFeatures, int rank, double alpha) : base(nameof(HandLoraLinear))
    {
        @base = nn.Linear(inFeatures, outFeatures);
        lora_A = nn.Linear(inFeatures, rank, hasBias: false);
        lora_B = nn.Linear(rank, outFeatures, hasBias: false);
        using (no_grad())
        {
            nn.init.kaiming_uniform_(lora_A.weight!, Math.Sqrt(5));
            lora_B.weight!.zero_();
        }
        _scaling = alpha / rank;
        RegisterComponents();
    }

    public bool Enabled { get; set; } = true;

    public bool Merged { get; private set; }

    public IEnumerable<Parameter> Factors => [lora_A.weight!, lora_B.weight!];

    public IEnumerable<Parameter> BaseParameters => @base.parameters();

    public override Tensor forward(Tensor input)
    {
        var result = @base.forward(input);
        if (!Enabled || Merged) return result;
        using var down = lora_A.forward(input);
        using var up = lora_B.forward(down);
        using var delta = up * _scaling;
        using (result) return result + delta;
    }

    public void Merge(bool merge)
    {
        if (Merged == merge) return;
        using var _ = no_grad();
        using var delta = lora_B.weight!.matmul(lora_A.weight!).mul_(_scaling);
        if (merge) @base.weight!.add_(delta);
        else @base.weight!.sub_(delta);
        Merged = merge;
    }
}
