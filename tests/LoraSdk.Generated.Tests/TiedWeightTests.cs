using LoraSdk.Generated.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static LoraSdk.Generated.Tests.TestTensors;
using static TorchSharp.torch;

namespace LoraSdk.Generated.Tests;

/// <summary>
/// Weight tying (head.weight = tok.weight): adapting, training, DisableLoRA and save/load are exact against a
/// float64 hand computation; merging, which would rewrite the shared tensor for both layers, is refused.
/// </summary>
public sealed class TiedWeightTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "lora-tied-" + Guid.NewGuid().ToString("N"));
    private static readonly Tensor Ids = tensor(new long[] { 0, 3, 10, 3, 7, 1 }, [2, 3]);

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static TiedLm TrainedTiedLm()
    {
        manual_seed(31);
        var model = new TiedLm();
        RandomizeLora(model, seed: 32);
        return model;
    }

    /// <summary>h = W[ids] + s_e·Aᵀ_e[ids]·Bᵀ_e, logits = h·Wᵀ + s_h·(h·Aᵀ_h)·Bᵀ_h, in float64 from the model's tensors.</summary>
    private static Tensor Reference(nn.Module model, Tensor shared, bool adapted = true)
    {
        using var scope = NewDisposeScope();
        var w = shared.to(float64);
        var hidden = w.index_select(0, Ids.reshape(-1)).reshape(2, 3, TiedLm.Dim);
        var adapters = model.ActiveLoraAdapters().ToDictionary(a => a.Path, a => a.Adapter);
        if (adapted && adapters.TryGetValue("tok", out var tokAdapter))
        {
            var embedding = (EmbeddingLoraAdapter)tokAdapter;
            var rows = embedding.LoraA.to(float64).t().index_select(0, Ids.reshape(-1)).reshape(2, 3, -1);
            hidden = hidden + rows.matmul(embedding.LoraB.to(float64).t()) * embedding.Scaling;
        }
        var logits = hidden.matmul(w.t());
        if (adapted)
        {
            var head = (LinearLoraAdapter)adapters["head"];
            logits = logits + hidden.matmul(head.LoraA.to(float64).t()).matmul(head.LoraB.to(float64).t()) * head.Scaling;
        }
        return logits.MoveToOuterDisposeScope();
    }

    [Fact]
    public void Both_tied_layers_adapted_forward_equals_the_hand_computation()
    {
        using var model = TrainedTiedLm();
        using var actual = model.forward(Ids);
        using var expected = Reference(model, model.SharedWeight);

        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");
    }

    [Fact]
    public void Every_merge_entry_point_refuses_naming_both_paths_and_changes_nothing()
    {
        using var model = TrainedTiedLm();
        using var before = model.forward(Ids);
        using var weightBefore = model.SharedWeight.clone();
        var head = model.ActiveLoraAdapters().Single(a => a.Path == "head").Adapter;

        Action[] merges = [() => model.MergeLoRA(), () => model.MergeLoRA(safe: true), () => ((ILoraLayer)model).Merge(), () => head.Merge()];
        foreach (var merge in merges)
        {
            var error = Assert.Throws<InvalidOperationException>(merge);
            Assert.Contains("'head'", error.Message);
            Assert.Contains("'tok'", error.Message);
        }

        Assert.False(((ILoraLayer)model).IsMerged);
        Assert.True(Same(weightBefore, model.SharedWeight), "the shared weight changed");
        using var after = model.forward(Ids);
        Assert.True(Same(before, after), "the output changed");
    }

    [Fact]
    public void Training_moves_only_the_factors_and_stays_equal_to_the_hand_computation()
    {
        using var model = TrainedTiedLm();
        using var weightBefore = model.SharedWeight.clone();
        var factors = model.LoraParameters().Select(p => p.Parameter).ToList();
        using var optimizer = optim.SGD(factors.Select(p => (Parameter)p), 0.1);

        using (var loss = model.forward(Ids).pow(2).mean()) loss.backward();
        Assert.Null(model.SharedWeight.grad);
        Assert.All(factors, p => Assert.NotNull(p.grad));
        optimizer.step();

        Assert.True(Same(weightBefore, model.SharedWeight), "the frozen shared weight changed");
        using var actual = model.forward(Ids);
        using var expected = Reference(model, model.SharedWeight);
        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");
    }

    [Fact]
    public void DisableLoRA_gives_the_tied_base_model()
    {
        using var model = TrainedTiedLm();
        using (model.DisableLoRA())
        {
            using var disabled = model.forward(Ids);
            using var baseOnly = Reference(model, model.SharedWeight, adapted: false);
            Assert.True(RelativeError(disabled, baseOnly) < 1e-5, $"relative error {RelativeError(disabled, baseOnly)}");
        }
        using var enabled = model.forward(Ids);
        using var expected = Reference(model, model.SharedWeight);
        Assert.True(RelativeError(enabled, expected) < 1e-5);
    }

    [Fact]
    public void Save_and_load_round_trip_reproduces_the_tied_model()
    {
        using var trained = TrainedTiedLm();
        trained.SaveAdapter(_directory);
        manual_seed(31);
        using var fresh = new TiedLm();

        fresh.LoadAdapter(_directory);

        using var expected = trained.forward(Ids);
        using var actual = fresh.forward(Ids);
        Assert.True(RelativeError(actual, expected) < 1e-6, $"relative error {RelativeError(actual, expected)}");
        Assert.Equal(["head.lora_A.weight", "head.lora_B.weight", "tok.lora_embedding_A", "tok.lora_embedding_B"],
            fresh.LoraParameters().Select(p => p.Name).Order());
    }

    [Fact]
    public void The_tie_survives_to_float64()
    {
        using var model = TrainedTiedLm();
        model.to(float64);
        using (no_grad()) model.SharedWeight.add_(0.5); // through the embedding: the head must see it too

        using var actual = model.forward(Ids);
        using var expected = Reference(model, model.SharedWeight);
        Assert.Equal(ScalarType.Float64, actual.dtype);
        Assert.True(RelativeError(actual, expected) < 1e-12, $"relative error {RelativeError(actual, expected)}");
    }

    [Fact]
    public void The_shared_weight_counts_once()
    {
        using var model = TrainedTiedLm();
        const long v = TiedLm.Vocabulary, d = TiedLm.Dim, r = 2;
        long lora = r * (v + d) + r * (d + v);

        var count = model.CountParameters();

        Assert.Equal(lora, count.Trainable);
        Assert.Equal(v * d + lora, count.Total);
    }

    [Fact]
    public void Only_the_head_adapted_is_exact_and_its_merge_is_refused()
    {
        manual_seed(33);
        using var model = new TiedHeadOnlyLm();
        RandomizeLora(model, seed: 34);

        using var actual = model.forward(Ids);
        using var expected = Reference(model, model.SharedWeight);
        Assert.True(RelativeError(actual, expected) < 1e-5, $"relative error {RelativeError(actual, expected)}");

        var error = Assert.Throws<InvalidOperationException>(() => model.MergeLoRA());
        Assert.Contains("'head'", error.Message);
        Assert.Contains("'tok'", error.Message);
    }

    [Fact]
    public void A_tie_across_classes_is_refused_by_the_merge_of_the_tree_that_sees_both()
    {
        manual_seed(35);
        using var model = new CrossTiedLm();
        RandomizeLora(model, seed: 36);
        using var before = model.forward(Ids);

        // The root's merge sees both layers; so does the block's own merge, once a model-wide command (the root's
        // MergeLoRA() first here; a query such as RandomizeLora's LoraParameters() records nothing) has recorded the
        // model that holds the block.
        Action[] merges = [() => model.MergeLoRA(), () => ((ILoraLayer)model.Block).Merge(), () => model.Block.ActiveLoraAdapters()[0].Adapter.Merge()];
        foreach (var merge in merges)
        {
            var error = Assert.Throws<InvalidOperationException>(merge);
            Assert.Contains("'decoder.head'", error.Message);
            Assert.Contains("'tok'", error.Message);
        }
        using var after = model.forward(Ids);
        Assert.True(Same(before, after));
    }
}
