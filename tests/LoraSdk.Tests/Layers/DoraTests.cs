using LoraSdk.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk.Tests.Layers;

/// <summary>
/// DoRA in float64 against references written out here from PEFT's definition: W' = m ⊙ (W + s·B·A) / ‖W + s·B·A‖,
/// the norm per output channel (Linear rows, convolution filters, embedding columns) and constant for autograd.
/// </summary>
[Collection(SeededTorch.Name)]
public sealed class DoraTests
{
    private const int Rank = 3;
    private const double Alpha = 5; // scaling 5/3

    private static LoraOptions Dora(double dropout = 0) => new(Rank, Alpha, dropout, useDoRA: true);

    private static AdaptedLayer Layer(string kind, double dropout = 0, long seed = 7)
    {
        manual_seed(seed);
        nn.Module<Tensor, Tensor> layer = kind switch
        {
            "Linear" => nn.Linear(6, 5, dtype: float64),
            "Conv2d" => nn.Conv2d(3, 4, 3, stride: 2, padding: 1, dtype: float64),
            "Conv1d" => nn.Conv1d(3, 4, 3, padding: 1, dtype: float64),
            "Embedding" => nn.Embedding(9, 5, dtype: float64),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return new AdaptedLayer(layer, Dora(dropout));
    }

    private static Tensor Input(string kind) => kind switch
    {
        "Linear" => randn(4, 6, dtype: float64),
        "Conv2d" => randn(2, 3, 7, 7, dtype: float64),
        "Conv1d" => randn(2, 3, 8, dtype: float64),
        _ => tensor(new long[] { 0, 3, 8, 3, 7, 1, 2, 5 }, [2, 4]),
    };

    /// <summary>Random A, B and a magnitude m that is not the weight norm, so every term of W' shows.</summary>
    private static void Randomize(LoraAdapter adapter)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in adapter.ParameterNames)
        {
            using var values = name == LoraAdapter.MagnitudeName ? rand_like(parameter) + 0.5 : randn_like(parameter) * 0.5;
            parameter.copy_(values);
        }
    }

    private static Tensor A(LoraAdapter adapter) => adapter.ParameterNames[0].Parameter.detach();
    private static Tensor B(LoraAdapter adapter) => adapter.ParameterNames[1].Parameter.detach();
    private static Tensor M(LoraAdapter adapter) => adapter.Magnitude!.detach();

    /// <summary>The DoRA weight in the layer's own layout, written from the definition with plain tensor algebra.</summary>
    private static Tensor ReferenceWeight(LoraAdapter adapter, Tensor? weight = null)
    {
        var w = (weight ?? adapter.BaseWeight).detach();
        double s = adapter.Scaling;
        if (adapter is EmbeddingLoraAdapter)
        {
            var table = w + B(adapter).matmul(A(adapter)).t() * s;          // (num × dim)
            var columnNorms = table.square().sum(dim: 0).sqrt();                  // per embedding dimension
            return table * (M(adapter) / columnNorms).view(1, -1);
        }
        long output = w.shape[0];
        var delta = B(adapter).reshape(output, Rank).matmul(A(adapter).reshape(Rank, -1)) * s;
        var v = w.reshape(output, -1) + delta;                               // (out × in·kernel)
        var rowNorms = v.square().sum(dim: 1).sqrt();
        return (v * (M(adapter).reshape(output) / rowNorms).view(-1, 1)).view(w.shape);
    }

    /// <summary>The layer's operation with the reference weight (and its own bias).</summary>
    private static Tensor ReferenceOutput(LoraAdapter adapter, Tensor input) => adapter.Target switch
    {
        Linear linear => nn.functional.linear(input, ReferenceWeight(adapter), linear.bias),
        Conv2d conv => nn.functional.conv2d(input, ReferenceWeight(adapter), conv.bias, strides: [2, 2], padding: [1, 1]),
        Conv1d conv => nn.functional.conv1d(input, ReferenceWeight(adapter), conv.bias, stride: 1, padding: 1),
        Embedding => ReferenceWeight(adapter).index_select(0, input.reshape(-1)).reshape([.. input.shape, -1]),
        _ => throw new NotSupportedException(),
    };

    public static TheoryData<string> Kinds() => ["Linear", "Conv2d", "Conv1d", "Embedding"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AFreshAdapterComputesTheBaseLayerAndStoresMInPeftsShape(string kind)
    {
        using var model = Layer(kind);
        using var input = Input(kind);
        var adapter = model.Adapter;
        using var adapted = model.forward(input);
        using var plain = adapter.BaseForward(input);
        Close.Absolute(plain, adapted, 1e-12);
        long[] expected = kind switch
        {
            "Linear" => [5],
            "Conv2d" => [1, 4, 1, 1],
            "Conv1d" => [1, 4, 1],
            _ => [5], // one per embedding dimension
        };
        Assert.Equal(expected, adapter.Magnitude!.shape);
        Assert.Equal(LoraAdapter.MagnitudeName, adapter.ParameterNames[^1].Name);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ForwardMatchesTheFloat64Reference(string kind)
    {
        using var model = Layer(kind);
        Randomize(model.Adapter);
        using var input = Input(kind);
        using var actual = model.forward(input);
        using var expected = ReferenceOutput(model.Adapter, input);
        Close.Relative(expected, actual, 1e-12);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MergeGivesTheUnmergedOutputAndUnmergeRestoresW(string kind)
    {
        using var model = Layer(kind);
        Randomize(model.Adapter);
        model.eval();
        using var input = Input(kind);
        using var original = model.Adapter.BaseWeight.detach().clone();
        using var unmerged = model.forward(input);

        model.Adapter.Merge(safe: true);
        using var merged = model.forward(input);
        Close.Relative(unmerged, merged, 1e-12);
        Close.Relative(ReferenceWeight(model.Adapter, original), model.Adapter.BaseWeight, 1e-12);

        model.Adapter.Unmerge();
        Close.Relative(original, model.Adapter.BaseWeight, 1e-12);
        using var again = model.forward(input);
        Close.Relative(unmerged, again, 1e-12);
    }

    [Fact]
    public void SafeMergeRefusesANonFiniteDoraWeightAndChangesNothing()
    {
        using var model = Layer("Linear");
        Randomize(model.Adapter);
        using (no_grad()) model.Adapter.Magnitude![0] = double.PositiveInfinity;
        using var before = model.Adapter.BaseWeight.detach().clone();
        var error = Assert.Throws<InvalidOperationException>(() => model.Adapter.Merge(safe: true));
        Assert.Contains("NaN or Inf", error.Message);
        Assert.True(Close.Identical(before, model.Adapter.BaseWeight));
        Assert.False(model.Adapter.IsMerged);
    }

    [Fact]
    public void DisabledAdapterGivesTheBaseOutput()
    {
        using var model = Layer("Linear");
        Randomize(model.Adapter);
        using var input = Input("Linear");
        using var plain = model.Adapter.BaseForward(input);
        using (model.DisableLoRA())
        {
            using var disabled = model.forward(input);
            Assert.True(Close.Identical(plain, disabled));
        }
        using var adapted = model.forward(input);
        Assert.True(Close.RelativeDistance(adapted, plain) > 1e-3, "DoRA must change the output once enabled again");
    }

    /// <summary>
    /// L = Σ G ⊙ y with y = k ⊙ (x·Wᵀ + s·(x·Aᵀ)·Bᵀ) + b, k = m / n (n constant):
    /// ∂L/∂m = Σ_rows G ⊙ (x·Wᵀ + s·x·Aᵀ·Bᵀ) / n, ∂L/∂B = s·(G⊙k)ᵀ·(x·Aᵀ), ∂L/∂A = s·((G⊙k)·B)ᵀ·x,
    /// ∂L/∂x = (G⊙k)·(W + s·B·A).
    /// </summary>
    [Fact]
    public void LinearGradientsOfABAndMMatchTheirHandDerivation()
    {
        using var model = Layer("Linear");
        Randomize(model.Adapter);
        var adapter = model.Adapter;
        using var x = Input("Linear").requires_grad_(true);
        using var g = randn(4, 5, dtype: float64);
        using (var y = model.forward(x))
        using (var loss = (y * g).sum())
            loss.backward();

        var w = adapter.BaseWeight.detach();
        var a = A(adapter);
        var b = B(adapter);
        double s = adapter.Scaling;
        var n = (w + b.matmul(a) * s).square().sum(dim: 1).sqrt();
        var k = M(adapter) / n;
        var xd = x.detach();
        var inner = xd.matmul(w.t()) + xd.matmul(a.t()).matmul(b.t()) * s;
        var gk = g * k.view(1, -1);

        Close.Relative((g * inner).sum(dim: 0) / n, adapter.Magnitude!.grad!, 1e-12);
        Close.Relative(gk.t().matmul(xd.matmul(a.t())) * s, adapter.ParameterNames[1].Parameter.grad!, 1e-12);
        Close.Relative(gk.matmul(b).t().matmul(x.detach()) * s, adapter.ParameterNames[0].Parameter.grad!, 1e-12);
        Close.Relative(gk.matmul(w + b.matmul(a) * s), x.grad!, 1e-12);
        Assert.Null(((Linear)adapter.Target).weight!.grad);
    }

    /// <summary>m does not enter the norm, so central differences of the real loss give ∂L/∂m exactly (to rounding).</summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void MagnitudeGradientMatchesFiniteDifferences(string kind)
    {
        using var model = Layer(kind);
        Randomize(model.Adapter);
        var adapter = model.Adapter;
        using var x = Input(kind);
        using var probe = model.forward(x);
        using var g = randn(probe.shape, dtype: float64);
        double Loss()
        {
            using var _ = no_grad();
            using var y = model.forward(x);
            return (y * g).sum().item<double>();
        }
        using (var y = model.forward(x))
        using (var loss = (y * g).sum())
            loss.backward();
        var m = adapter.Magnitude!;
        using var flat = m.view(-1);
        using var gradient = m.grad!.reshape(-1).clone();
        const double h = 1e-6;
        for (int i = 0; i < flat.shape[0]; i++)
        {
            double original = flat[i].item<double>();
            using (no_grad()) flat[i] = original + h;
            double up = Loss();
            using (no_grad()) flat[i] = original - h;
            double down = Loss();
            using (no_grad()) flat[i] = original;
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[i].item<double>()) <= 1e-6 * Math.Max(1, Math.Abs(numeric)),
                $"∂L/∂m[{i}]: autograd {gradient[i].item<double>()}, finite differences {numeric}");
        }
    }

    [Fact]
    public void TheNormIsDetachedAsInPeft()
    {
        // With the norm constant, ∂L/∂B for L = Σ y is s·kᵀ-weighted row sums; were the norm differentiated, B's gradient
        // would also carry −k·(W+ΔW)·… terms. Compare with the hand derivation above for G = 1 (a cheap second witness).
        using var model = Layer("Linear");
        Randomize(model.Adapter);
        var adapter = model.Adapter;
        using var x = Input("Linear");
        using (var y = model.forward(x)) using (var loss = y.sum()) loss.backward();
        var w = adapter.BaseWeight.detach();
        var a = A(adapter);
        var b = B(adapter);
        var n = (w + b.matmul(a) * adapter.Scaling).square().sum(dim: 1).sqrt();
        var k = M(adapter) / n;
        var expected = k.view(-1, 1) * x.matmul(a.t()).sum(dim: 0).view(1, -1) * adapter.Scaling;
        Close.Relative(expected, adapter.ParameterNames[1].Parameter.grad!, 1e-12);
    }

    /// <summary>With dropout (d = dropout(x)), PEFT's DoRA Linear is base(x) + (k − 1)·W·d + k·s·B·A·d.</summary>
    [Fact]
    public void DropoutFollowsPeftsFormula()
    {
        using var model = Layer("Linear", dropout: 0.4);
        Randomize(model.Adapter);
        model.train();
        var adapter = model.Adapter;
        using var x = Input("Linear");
        manual_seed(99);
        using var actual = model.forward(x);
        manual_seed(99);
        using var d = nn.functional.dropout(x, 0.4, training: true); // the same draw the adapter made

        var linear = (Linear)adapter.Target;
        var w = linear.weight!.detach();
        var a = A(adapter);
        var b = B(adapter);
        double s = adapter.Scaling;
        var k = (M(adapter) / (w + b.matmul(a) * s).square().sum(dim: 1).sqrt()).view(1, -1);
        var expected = x.matmul(w.t()) + linear.bias!.detach() + (k - 1) * d.matmul(w.t()) + k * d.matmul(a.t()).matmul(b.t()) * s;
        Close.Relative(expected, actual, 1e-12);
    }

    [Fact]
    public void TheCallPathGivesTheForwardPathsOutput()
    {
        using var model = Layer("Conv2d");
        Randomize(model.Adapter);
        using var input = Input("Conv2d");
        using var forward = model.forward(input);
        using var called = model.Adapter.CallThroughTarget(input);
        Close.Relative(forward, called, 1e-12);
    }

    [Fact]
    public void MagnitudeFollowsBaseWeightsLoadedBeforeTheFirstForward()
    {
        // Generated code creates adapters with the model, before pretrained weights are loaded (as PiSSA's docs say).
        using var model = Layer("Linear");
        using var input = Input("Linear");
        var linear = (Linear)model.Adapter.Target;
        using (no_grad())
        {
            using var pretrained = randn(5, 6, dtype: float64) * 3;
            linear.weight!.copy_(pretrained);
        }
        using var adapted = model.forward(input);
        using var plain = model.Adapter.BaseForward(input);
        Close.Absolute(plain, adapted, 1e-12);
        using var norms = linear.weight!.detach().square().sum(dim: 1).sqrt();
        Close.Relative(norms, model.Adapter.Magnitude!, 1e-14);
    }

    [Fact]
    public void AMagnitudeWrittenBeforeTheFirstForwardIsKept()
    {
        using var model = Layer("Linear");
        using var written = rand(5, dtype: float64) + 1;
        using (no_grad()) model.Adapter.Magnitude!.copy_(written); // a restored checkpoint, say
        using var input = Input("Linear");
        using var _ = model.forward(input);
        Assert.True(Close.Identical(written, model.Adapter.Magnitude!));
    }

    [Fact]
    public void ResetLoRARecomputesTheMagnitude()
    {
        using var model = Layer("Linear");
        Randomize(model.Adapter);
        using var input = Input("Linear");
        using (var _ = model.forward(input)) { }
        model.ResetLoRA();
        using var adapted = model.forward(input);
        using var plain = model.Adapter.BaseForward(input);
        Close.Absolute(plain, adapted, 1e-12);
    }

    [Fact]
    public void APlainAdapterHasNoMagnitude()
    {
        manual_seed(1);
        using var model = new AdaptedLayer(nn.Linear(6, 5), new LoraOptions(Rank, Alpha));
        Assert.Null(model.Adapter.Magnitude);
        Assert.Equal(["lora_A.weight", "lora_B.weight"], model.Adapter.ParameterNames.Select(p => p.Name));
    }

    [Fact]
    public void AQuantizedBaseIsDequantizedForTheNormAndTheForward()
    {
        manual_seed(3);
        using var model = new AdaptedLayer(nn.Linear(64, 8), Dora());
        using var input = randn(3, 64);
        model.QuantizeBase(LoraBase.Int8);
        Randomize(model.Adapter);
        var quantized = model.Adapter.QuantizedBase!;
        using var dequantized = quantized.Dequantize(float32);
        using var actual = model.forward(input);

        var linear = (Linear)model.Adapter.Target;
        var a = A(model.Adapter).to(float64);
        var b = B(model.Adapter).to(float64);
        var w = dequantized.to(float64);
        double s = model.Adapter.Scaling;
        var v = w + b.matmul(a) * s;
        var k = M(model.Adapter).to(float64) / v.square().sum(dim: 1).sqrt();
        var expected = input.to(float64).matmul(v.t()) * k.view(1, -1) + linear.bias!.detach().to(float64);
        Close.Relative(expected, actual, 1e-5);

        var refusal = Assert.Throws<InvalidOperationException>(() => model.Adapter.Merge());
        Assert.Contains("quantized", refusal.Message);
    }
}
