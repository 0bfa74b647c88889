using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk;

/// <summary>PEFT's <c>add_weighted_adapter</c>: a new named adapter combined from existing ones, computed in float64.</summary>
public static class WeightedAdapters
{
    /// <summary>
    /// Adds adapter <paramref name="name"/> on every adapted layer, combined from <paramref name="weights"/> as
    /// <paramref name="combination"/> says. As in PEFT its alpha equals its rank (rsLoRA as the first adapter),
    /// it starts inactive and frozen.
    /// </summary>
    public static void AddWeightedAdapter(this nn.Module model, IEnumerable<(string Adapter, double Weight)> weights, string name,
        AdapterCombination combination = AdapterCombination.Svd, int? svdRank = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var parts = weights.ToList();
        if (parts.Count == 0) throw new ArgumentException("AddWeightedAdapter needs at least one adapter.", nameof(weights));
        var hosts = MultiAdapterExtensions.HostsForChange(model, $"add weighted adapter '{name}'");
        MultiAdapterExtensions.RequireNewName(hosts, name);
        foreach (var (adapter, weight) in parts)
        {
            if (hosts[0].Host.FindAdapter(adapter) is null) throw new ArgumentException($"The model has no adapter named '{adapter}'.", nameof(weights));
            if (!double.IsFinite(weight)) throw new ArgumentException($"The weight of '{adapter}' is not a finite number.", nameof(weights));
            if (combination == AdapterCombination.Linear && weight < 0)
                throw new ArgumentException($"Linear combination takes √(weight·scaling); the weight of '{adapter}' is negative ({weight}).", nameof(weights));
        }
        // PEFT gives the combined adapter the first one's use_dora and a fresh magnitude ‖W‖, dropping every trained
        // magnitude without a word; magnitudes of different directions do not combine linearly either. Refused instead.
        var dora = parts.Select(p => p.Adapter).FirstOrDefault(n => hosts.Any(h => h.Host.FindAdapter(n)!.Options.UseDoRA));
        if (dora is not null)
            throw new NotSupportedException(
                $"AddWeightedAdapter cannot combine adapter '{dora}': it uses DoRA, whose trained magnitude vectors have no exact weighted combination " +
                "(PEFT would keep only B·A and reset the magnitudes to the base weight's norms). Merge the DoRA adapters one after another instead (MergeLoRA).");
        if (svdRank is <= 0) throw new ArgumentOutOfRangeException(nameof(svdRank), svdRank, "The SVD rank must be positive.");

        var created = new List<LoraAdapter>();
        try
        {
            foreach (var (path, host) in hosts)
                created.Add(Combine(path, host, parts, combination, svdRank));
        }
        catch
        {
            foreach (var adapter in created) adapter.Dispose();
            throw;
        }
        for (int i = 0; i < hosts.Count; i++)
        {
            hosts[i].Host.NamedSet.Add(name, created[i]);
            foreach (var (_, parameter) in created[i].ParameterNames) parameter.requires_grad = false;
        }
    }

    private static LoraAdapter Combine(string path, LoraAdapter host, List<(string Adapter, double Weight)> parts,
        AdapterCombination combination, int? svdRank)
    {
        var sources = parts.Select(p => (Adapter: host.FindAdapter(p.Adapter)!, p.Weight)).ToList();
        Tensor a, b;
        using (NewDisposeScope())
        using (no_grad())
        {
            (a, b) = combination switch
            {
                AdapterCombination.Linear => Linear(path, sources),
                AdapterCombination.Cat => Cat(sources),
                AdapterCombination.Svd => Svd(path, sources, svdRank ?? sources.Max(s => s.Adapter.Rank)),
                _ => throw new ArgumentOutOfRangeException(nameof(combination), combination, "Unknown combination."),
            };
            a.DetachFromDisposeScope();
            b.DetachFromDisposeScope();
        }
        using (a)
        using (b)
        {
            // The new adapter is created outside the scope: its parameters must outlive it.
            int rank = (int)a.shape[0];
            var first = sources[0].Adapter.Options;
            var result = LoraAdapter.Create(host.TargetName, host.Target, new LoraOptions(rank, rank, first.Dropout, first.UseRsLoRA));
            var factors = result.ParameterNames;
            using var _ = no_grad();
            factors[0].Parameter.copy_(a.reshape(factors[0].Parameter.shape));
            factors[1].Parameter.copy_(b.reshape(factors[1].Parameter.shape));
            return result;
        }
    }

    /// <summary>A (rank first) and B (rank second) of an adapter in float64, as stored (Conv2d: 4-D).</summary>
    private static (Tensor A, Tensor B) Factors(LoraAdapter adapter) =>
        (adapter.ParameterNames[0].Parameter.to(float64), adapter.ParameterNames[1].Parameter.to(float64));

    private static (Tensor A, Tensor B) Linear(string path, List<(LoraAdapter Adapter, double Weight)> sources)
    {
        var ranks = sources.Select(s => s.Adapter.Rank).Distinct().ToList();
        if (ranks.Count > 1)
            throw new ArgumentException($"Linear combination needs adapters of one rank, but '{path}' has ranks {string.Join(", ", ranks)}; use Cat or Svd.");
        Tensor? a = null, b = null;
        foreach (var (adapter, weight) in sources)
        {
            double factor = Math.Sqrt(weight * adapter.Scaling);
            var (ai, bi) = Factors(adapter);
            a = a is null ? ai * factor : a + ai * factor;
            b = b is null ? bi * factor : b + bi * factor;
        }
        return (a!, b!);
    }

    private static (Tensor A, Tensor B) Cat(List<(LoraAdapter Adapter, double Weight)> sources)
    {
        var factors = sources.Select(s => (Factors(s.Adapter), s.Weight * s.Adapter.Scaling)).ToList();
        return (cat(factors.Select(f => f.Item1.A * f.Item2).ToList(), 0), cat(factors.Select(f => f.Item1.B).ToList(), 1));
    }

    private static (Tensor A, Tensor B) Svd(string path, List<(LoraAdapter Adapter, double Weight)> sources, int rank)
    {
        Tensor? sum = null;
        foreach (var (adapter, weight) in sources)
        {
            var delta = Update2d(adapter) * (weight * adapter.Scaling);
            sum = sum is null ? delta : sum + delta;
        }
        long limit = Math.Min(sum!.shape[0], sum.shape[1]);
        if (rank > limit)
            throw new ArgumentException($"SVD rank {rank} exceeds what '{path}' can hold ({limit}).");
        var (u, s, vh) = linalg.svd(sum, fullMatrices: false);
        var b = u[.., ..rank] * s[..rank].unsqueeze(0);
        return (vh[..rank], b);
    }

    /// <summary>sᵢ·BᵢAᵢ as the (out × in) matrix whose SVD gives B (out × r) and A (r × in) in the adapter's layout.</summary>
    private static Tensor Update2d(LoraAdapter adapter)
    {
        var (a, b) = Factors(adapter);
        return b.reshape(b.shape[0], -1).matmul(a.reshape(a.shape[0], -1)) * adapter.Scaling;
    }
}
