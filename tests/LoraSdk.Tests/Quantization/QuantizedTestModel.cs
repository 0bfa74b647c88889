using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Quantization;

/// <summary>Two adapted Linears (one of odd size, so NF4's last block is padded), a plain LayerNorm and a head.</summary>
internal sealed class QuantizedTestModel : nn.Module<Tensor, Tensor>
{
    public const long Width = 24, Hidden = 35;

    private readonly Linear up;
    private readonly Linear down;
    private readonly LayerNorm norm;
    private readonly Linear head;

    public QuantizedTestModel(long seed, double dropout = 0) : base(nameof(QuantizedTestModel))
    {
        torch.manual_seed(seed);
        up = nn.Linear(Width, Hidden);
        down = nn.Linear(Hidden, Width);
        norm = nn.LayerNorm(Width);
        head = nn.Linear(Width, 3);
        RegisterComponents();
        var options = new LoraOptions(rank: 4, alpha: 8, dropout: dropout);
        Up = LoraAdapter.Attach(this, nameof(up), up, options);
        Down = LoraAdapter.Attach(this, nameof(down), down, options);
        // B starts at zero; give it values so the low-rank path contributes to outputs and gradients.
        using (no_grad())
        {
            foreach (var adapter in new[] { Up, Down })
                foreach (var (_, p) in adapter.ParameterNames) p.copy_(randn_like(p).mul_(0.3));
        }
    }

    public LoraAdapter Up { get; }
    public LoraAdapter Down { get; }
    public Linear UpLayer => up;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = LoraRouter.Forward(up, x, "QuantizedTestModel.up").tanh();
        var y = LoraRouter.Forward(down, h, "QuantizedTestModel.down");
        return head.forward(norm.forward(y)).MoveToOuterDisposeScope();
    }

    /// <summary>A float32 model of the same layout whose adapted weights are <paramref name="source"/>'s dequantized values.</summary>
    public static QuantizedTestModel FloatTwinOf(QuantizedTestModel source, long seed, double dropout = 0)
    {
        var twin = new QuantizedTestModel(seed, dropout);
        using var _ = no_grad();
        var state = source.state_dict();
        foreach (var (name, tensor) in twin.state_dict())
        {
            if (state.TryGetValue(name, out var value) && value.numel() == tensor.numel()) tensor.copy_(value);
        }
        foreach (var (mine, theirs) in new[] { (twin.up, source.Up), (twin.down, source.Down) })
        {
            using var dequantized = theirs.QuantizedBase!.Dequantize(float32);
            mine.weight.copy_(dequantized);
        }
        return twin;
    }
}
