using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>
/// How an adapter's base weight lines up with its update B·A (out × in): it decides PiSSA's view of the weight and
/// PEFT's default initialisation. The only thing about initialisation that differs between layer kinds.
/// </summary>
internal enum FactorLayout
{
    /// <summary>
    /// Linear (out × in) and convolutions ((out, in, kernel…) viewed as out × (in·kernel…), A's rows reshaped into
    /// kernels): A kaiming-uniform, B zeros by default.
    /// </summary>
    OutByIn,

    /// <summary>Embedding: the table (num × dim) is the transpose of B·A (dim × num); A zeros, B normal by default (PEFT).</summary>
    Table,
}

/// <summary>PEFT's initialisations of the low-rank factors: the one way every layer kind initialises A and B.</summary>
internal static class LoraInitializer
{
    /// <summary>
    /// Initialises <paramref name="a"/> and <paramref name="b"/> of <paramref name="adapter"/> as its
    /// <see cref="LoraOptions.Init"/> says; PiSSA also moves the top-r part out of the base weight (refused on a
    /// quantized base).
    /// </summary>
    public static void Reset(LoraAdapter adapter, Tensor a, Tensor b, FactorLayout layout)
    {
        switch (adapter.Options.Init)
        {
            case LoraInit.Gaussian:
                Gaussian(a, b, adapter.Rank);
                break;
            case LoraInit.PiSSA:
                adapter.Base.EnsureFloat("initialise with PiSSA", adapter.TargetName);
                PiSSAInto(a, b, adapter.BaseWeight, adapter.Rank, adapter.Scaling, layout);
                break;
            default:
                if (layout == FactorLayout.Table) ZerosAndNormal(a, b);
                else Kaiming(a, b);
                break;
        }
        adapter.ResetMagnitude(); // DoRA's m = ‖W + s·B·A‖ with the factors just drawn (a no-op for plain LoRA)
    }

    private static void PiSSAInto(Tensor a, Tensor b, Tensor baseWeight, int rank, double scaling, FactorLayout layout)
    {
        using var _ = no_grad();
        if (layout == FactorLayout.Table)
        {
            using var transposed = baseWeight.t().contiguous(); // dim × num, as a Linear weight
            var (ta, tb) = PiSSA(transposed, rank, scaling);
            using (ta) using (tb) { a.copy_(ta); b.copy_(tb); baseWeight.copy_(transposed.t()); }
            return;
        }
        using var flat = baseWeight.dim() == 2 ? baseWeight.alias() : baseWeight.view(baseWeight.shape[0], -1);
        var (pa, pb) = PiSSA(flat, rank, scaling);
        using (pa) using (pb) { a.copy_(pa.view(a.shape)); b.copy_(pb.view(b.shape)); }
    }

    /// <summary>zeros on A, normal(0, 1) on B: PEFT's default for an embedding adapter.</summary>
    private static void ZerosAndNormal(Tensor a, Tensor b)
    {
        using var _ = no_grad();
        a.zero_();
        nn.init.normal_(b);
    }

    /// <summary>
    /// A factor's weight with no values yet: factors are built from these so that constructing an adapter draws
    /// no random numbers of its own; <see cref="LoraAdapter.ResetLoraParameters"/> then draws each factor once.
    /// </summary>
    public static Parameter Uninitialised(Device device, ScalarType dtype, params long[] shape) =>
        new(empty(shape, dtype: dtype, device: device));

    /// <summary>The meta device: a layer created there draws no random numbers for its own initialisation.</summary>
    public static readonly Device Meta = new(DeviceType.META);

    /// <summary>
    /// A convolution factor laid out on <see cref="Meta"/> (its own init draws nothing), given a real
    /// uninitialised weight of the same shape on <paramref name="device"/>.
    /// </summary>
    public static T WithUninitialisedWeight<T>(T layout, Device device, ScalarType dtype) where T : Convolution
    {
        layout.weight = Uninitialised(device, dtype, layout.weight!.shape);
        return layout;
    }

    /// <summary>kaiming-uniform(a = √5) on A, zeros on B: nn.Linear's default, as PEFT does.</summary>
    public static void Kaiming(Tensor a, Tensor b)
    {
        using var _ = no_grad();
        nn.init.kaiming_uniform_(a, Math.Sqrt(5));
        b.zero_();
    }

    /// <summary>normal(0, 1/r) on A, zeros on B.</summary>
    public static void Gaussian(Tensor a, Tensor b, int rank)
    {
        using var _ = no_grad();
        nn.init.normal_(a, 0, 1.0 / rank);
        b.zero_();
    }

    /// <summary>
    /// PiSSA: with W = U·S·Vᵀ (W as out × in), A = √(S_r/scaling)·V_rᵀ and B = U_r·√(S_r/scaling), so
    /// scaling·B·A is W's best rank-r part; W keeps the residual and the output is unchanged. The SVD runs
    /// in float64. <paramref name="weight2d"/> is the (out × in) view of the base weight; A and B receive
    /// (r × in) and (out × r) matrices, reshaped by the caller's layout.
    /// </summary>
    public static (Tensor A, Tensor B) PiSSA(Tensor weight2d, int rank, double scaling)
    {
        using var _ = no_grad();
        long maxRank = Math.Min(weight2d.shape[0], weight2d.shape[1]);
        if (rank > maxRank)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"PiSSA rank {rank} exceeds the weight's rank limit {maxRank}.");
        using var w = weight2d.to(float64);
        var (u, s, vh) = linalg.svd(w, fullMatrices: false);
        using (u) using (s) using (vh)
        {
            using var root = (s[..rank] / scaling).sqrt();
            var a = (root.unsqueeze(1) * vh[..rank]).to(weight2d.dtype);
            var b = (u[.., ..rank] * root.unsqueeze(0)).to(weight2d.dtype);
            using var delta = b.to(float64).matmul(a.to(float64)) * scaling;
            weight2d.copy_(w - delta);
            return (a, b);
        }
    }
}
