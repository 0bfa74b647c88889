using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Support;

/// <summary>A target layer shape to test, with a matching input. Small, so the whole suite stays fast.</summary>
public sealed class LayerCase
{
    private readonly Func<nn.Module<Tensor, Tensor>> _createLayer;
    private readonly Func<Tensor> _createInput;

    private LayerCase(string name, LoraLayerKind kind, int rank, Func<nn.Module<Tensor, Tensor>> createLayer, Func<Tensor> createInput)
    {
        Name = name;
        Kind = kind;
        Rank = rank;
        _createLayer = createLayer;
        _createInput = createInput;
    }

    public string Name { get; }
    public LoraLayerKind Kind { get; }
    public int Rank { get; }

    public static readonly LayerCase Linear = new("Linear", LoraLayerKind.Linear, 3,
        () => nn.Linear(6, 5), () => randn(4, 6));

    public static readonly LayerCase LinearWithoutBias = new("Linear without bias", LoraLayerKind.Linear, 2,
        () => nn.Linear(5, 7, hasBias: false), () => randn(2, 3, 5));

    public static readonly LayerCase Conv3x3 = new("Conv2d 3x3 stride 2 padding 1", LoraLayerKind.Conv2d, 2,
        () => nn.Conv2d(3, 4, 3, stride: 2, padding: 1), () => randn(2, 3, 7, 7));

    public static readonly LayerCase Conv1x1 = new("Conv2d 1x1", LoraLayerKind.Conv2d, 2,
        () => nn.Conv2d(4, 3, 1), () => randn(2, 4, 5, 5));

    public static readonly LayerCase ConvDilated = new("Conv2d 3x3 dilation 2 padding 2", LoraLayerKind.Conv2d, 2,
        () => nn.Conv2d(2, 3, 3, padding: 2, dilation: 2), () => randn(1, 2, 6, 6));

    public static readonly LayerCase ConvSame = new("Conv2d 3x3 same padding", LoraLayerKind.Conv2d, 2,
        () => nn.Conv2d(2, 3, 3, padding: Padding.Same), () => randn(1, 2, 5, 5));

    public static readonly LayerCase Conv1d = new("Conv1d k3 stride 2 padding 1", LoraLayerKind.Conv1d, 2,
        () => nn.Conv1d(3, 4, 3, stride: 2, padding: 1), () => randn(2, 3, 9));

    public static readonly LayerCase Conv1dSame = new("Conv1d k3 dilation 2 same padding", LoraLayerKind.Conv1d, 2,
        () => nn.Conv1d(2, 3, 3, padding: Padding.Same, dilation: 2), () => randn(1, 2, 8));

    public static readonly LayerCase Embedding = new("Embedding", LoraLayerKind.Embedding, 3,
        () => nn.Embedding(10, 6), () => tensor(new long[] { 0, 3, 9, 3, 7, 1, 2, 8, 5, 4 }, [2, 5]));

    public static readonly IReadOnlyList<LayerCase> All = [Linear, LinearWithoutBias, Conv3x3, Conv1x1, ConvDilated, ConvSame, Conv1d, Conv1dSame, Embedding];

    public static TheoryData<string> Names() => [.. All.Select(c => c.Name)];

    public static LayerCase Named(string name) => All.Single(c => c.Name == name);

    /// <summary>A seeded layer with its adapter; alpha ≠ rank so scaling is not 1.</summary>
    public AdaptedLayer Create(LoraInit init = LoraInit.Kaiming, double dropout = 0, bool rsLoRA = false, long seed = 1234)
    {
        torch.manual_seed(seed);
        return Adapt(_createLayer(), init, dropout, rsLoRA);
    }

    /// <summary>The bare layer, not adapted yet (to look at it before an adapter changes it).</summary>
    public nn.Module<Tensor, Tensor> CreateLayer(long seed = 1234)
    {
        torch.manual_seed(seed);
        return _createLayer();
    }

    public AdaptedLayer Adapt(nn.Module<Tensor, Tensor> layer, LoraInit init = LoraInit.Kaiming, double dropout = 0, bool rsLoRA = false) =>
        new(layer, new LoraOptions(Rank, alpha: 2.0 * Rank + 1, dropout, rsLoRA, init));

    /// <summary>As <see cref="Create"/>, with random non-zero A and B so the low-rank path contributes.</summary>
    public AdaptedLayer CreateWithRandomFactors(LoraInit init = LoraInit.Kaiming, double dropout = 0, bool rsLoRA = false, double scale = 0.5)
    {
        var model = Create(init, dropout, rsLoRA);
        LoraFactors.Randomize(model.Adapter, scale);
        return model;
    }

    public Tensor Input() => _createInput();

    public override string ToString() => Name;
}
