using LoraSdk.Tests.Adapters;
using TorchSharp;
using static TorchSharp.torch;
using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.WholeModel;

/// <summary>AddWeightedAdapter's linear, cat and svd combinations against float64 references written from PEFT's formulas.</summary>
public sealed class WeightedAdapterTests
{
    private static readonly (string, double)[] Weights = [("default", 0.7), ("b", 0.3)];

    /// <summary>A float64 TinyNet with random adapters "default" (r 4, α 8) and "b" (r 4 or 2, α 3).</summary>
    private static TinyNet Model(int rankOfB)
    {
        manual_seed(4);
        var model = new TinyNet();
        model.to(float64);
        RandomizeLora(model, seed: 1);
        model.AddAdapter("b", new LoraOptions(rank: rankOfB, alpha: 3));
        using (model.UseAdapter("b")) RandomizeLora(model, seed: 2);
        return model;
    }

    /// <summary>Per target path: B and A as 2-D matrices (B: out × r, A: r × in·kh·kw) and the scaling.</summary>
    private static Dictionary<string, (Tensor B, Tensor A, double Scaling)> Factors(TinyNet model, string name)
    {
        using var scope = model.UseAdapter(name);
        return model.ActiveLoraAdapters().ToDictionary(a => a.Path, a =>
        {
            var (pa, pb) = (a.Adapter.ParameterNames[0].Parameter, a.Adapter.ParameterNames[1].Parameter);
            return (pb.detach().reshape(pb.shape[0], -1).clone(), pa.detach().reshape(pa.shape[0], -1).clone(), a.Adapter.Scaling);
        });
    }

    private static Tensor Update((Tensor B, Tensor A, double Scaling) f) => f.B.matmul(f.A) * f.Scaling;

    [Fact]
    public void Cat_stacks_the_weighted_factors_so_the_update_is_the_weighted_sum()
    {
        using var model = Model(rankOfB: 2);
        model.AddWeightedAdapter(Weights, "mix", AdapterCombination.Cat);
        var d = Factors(model, "default"); var b = Factors(model, "b"); var mix = Factors(model, "mix");
        foreach (var path in TinyNet.TargetPaths)
        {
            Assert.Equal(6, mix[path].A.shape[0]);
            Assert.Equal(1.0, mix[path].Scaling); // PEFT: lora_alpha = r
            using var expected = Update(d[path]) * 0.7 + Update(b[path]) * 0.3;
            Assert.True((Update(mix[path]) - expected).abs().max().item<double>() < 1e-12, path);
        }
    }

    [Fact]
    public void Linear_sums_square_root_weighted_factors()
    {
        using var model = Model(rankOfB: 4);
        model.AddWeightedAdapter(Weights, "mix", AdapterCombination.Linear);
        var d = Factors(model, "default"); var b = Factors(model, "b"); var mix = Factors(model, "mix");
        foreach (var path in TinyNet.TargetPaths)
        {
            double wd = Math.Sqrt(0.7 * d[path].Scaling), wb = Math.Sqrt(0.3 * b[path].Scaling);
            using var expectedB = d[path].B * wd + b[path].B * wb;
            using var expectedA = d[path].A * wd + b[path].A * wb;
            Assert.True((mix[path].B - expectedB).abs().max().item<double>() < 1e-12, path);
            Assert.True((mix[path].A - expectedA).abs().max().item<double>() < 1e-12, path);
        }
    }

    [Fact]
    public void Linear_refuses_adapters_of_different_ranks()
    {
        using var model = Model(rankOfB: 2);
        var error = Assert.Throws<ArgumentException>(() => model.AddWeightedAdapter(Weights, "mix", AdapterCombination.Linear));
        Assert.Contains("ranks 4, 2", error.Message);
        Assert.Equal(["default", "b"], model.AdapterNames());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(2)]
    public void Svd_is_the_best_rank_r_approximation_of_the_weighted_updates(int? svdRank)
    {
        using var model = Model(rankOfB: 2);
        model.AddWeightedAdapter(Weights, "mix", AdapterCombination.Svd, svdRank);
        var d = Factors(model, "default"); var b = Factors(model, "b"); var mix = Factors(model, "mix");
        int rank = svdRank ?? 4;
        foreach (var path in TinyNet.TargetPaths)
        {
            // PEFT's svd path weights each update sᵢ·BᵢAᵢ by wᵢ·sᵢ.
            using var target = Update(d[path]) * (0.7 * d[path].Scaling) + Update(b[path]) * (0.3 * b[path].Scaling);
            var (u, s, vh) = linalg.svd(target, fullMatrices: false);
            using var best = (u[.., ..rank] * s[..rank].unsqueeze(0)).matmul(vh[..rank]);
            Assert.Equal(rank, mix[path].A.shape[0]);
            double scale = Math.Max(1, target.abs().max().item<double>());
            Assert.True((Update(mix[path]) - best).abs().max().item<double>() < 1e-10 * scale, path);
        }
    }

    [Fact]
    public void The_weighted_adapter_is_saved_and_forwarded_like_any_other()
    {
        using var model = Model(rankOfB: 2);
        model.AddWeightedAdapter(Weights, "mix", AdapterCombination.Cat);
        Assert.All(Factors(model, "mix"), _ => { });
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path);
        Assert.True(File.Exists(folder.Combine("mix", AdapterConfig.FileName)));
        var config = AdapterConfig.Read(folder.Combine("mix", AdapterConfig.FileName));
        Assert.Equal(6, config.R);
        Assert.Equal(6, config.LoraAlpha);
    }
}
