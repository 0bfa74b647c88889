using LoraSdk.Tests.Adapters;
using TorchSharp;
using static TorchSharp.torch;
using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.WholeModel;

/// <summary>One forward where each row uses its own adapter equals running each row alone with it.</summary>
public sealed class MixedBatchTests
{
    [Fact]
    public void Each_row_of_a_mixed_batch_equals_its_own_run_with_its_adapter()
    {
        manual_seed(8);
        using var model = new TinyNet();
        RandomizeLora(model, seed: 1);
        model.AddAdapter("b", new LoraOptions(rank: 2, alpha: 3));
        model.AddAdapter("c", new LoraOptions(rank: 5, alpha: 5, useRsLoRA: true));
        using (model.UseAdapter("b")) RandomizeLora(model, seed: 2);
        using (model.UseAdapter("c")) RandomizeLora(model, seed: 3);
        model.eval();
        // float64: the mixed path (index_select → B(A(x)) → index_add) and a single adapter's fused GEMM sum in
        // different orders, which in float32 differs by rounding (≈ 3e-5 on these outputs), not by adapter.
        model.to(float64);
        string[] rows = ["c", "__base__", "default", "b", "c", "b"];
        using var ids = randint(0, TinyNet.Vocabulary, [rows.Length, 5], dtype: ScalarType.Int64);

        using var _ = no_grad();
        using var mixed = Forward(model, ids, rows);
        for (int row = 0; row < rows.Length; row++)
        {
            using var single = ids[row..(row + 1)];
            using var alone = rows[row] == "__base__" ? WithoutLora(model, single) : WithAdapter(model, single, rows[row]);
            double error = (mixed[row..(row + 1)] - alone).abs().max().item<double>();
            Assert.True(error <= 1e-5, $"row {row} ({rows[row]}): {error:E2}");
        }
        Assert.Equal("default", model.ActiveAdapter());
    }

    [Theory]
    [InlineData(8.0, 8.0)] // one scaling for every row
    [InlineData(2.0, 12.0)] // a scaling per row
    public void Adapters_of_one_rank_gathered_in_one_stack_give_each_row_its_own_answer(double alphaB, double alphaC)
    {
        // Every adapter rank 4 (the default's) and no __base__ row: the Linear layers take the stacked gather, the
        // embedding and the convolution the loop; exact in float64 up to summation order.
        manual_seed(9);
        using var model = new TinyNet();
        RandomizeLora(model, seed: 4);
        model.AddAdapter("b", new LoraOptions(rank: 4, alpha: alphaB));
        model.AddAdapter("c", new LoraOptions(rank: 4, alpha: alphaC));
        using (model.UseAdapter("b")) RandomizeLora(model, seed: 5);
        using (model.UseAdapter("c")) RandomizeLora(model, seed: 6);
        model.eval();
        model.to(float64);
        string[] rows = ["b", "c", "default", "c", "b", "default", "c"];
        using var ids = randint(0, TinyNet.Vocabulary, [rows.Length, 5], dtype: ScalarType.Int64);

        using var _ = no_grad();
        using var mixed = Forward(model, ids, rows);
        for (int row = 0; row < rows.Length; row++)
        {
            using var single = ids[row..(row + 1)];
            using var alone = WithAdapter(model, single, rows[row]);
            double error = (mixed[row..(row + 1)] - alone).abs().max().item<double>();
            Assert.True(error <= 1e-12, $"row {row} ({rows[row]}): {error:E2}");
        }
    }

    [Fact]
    public void Wrong_row_counts_unknown_names_and_merged_models_are_refused()
    {
        using var model = new TinyNet();
        model.AddAdapter("b", new LoraOptions(2, 2));
        using var ids = TinyNet.SampleIds(); // 2 rows
        using (model.UseAdapterPerRow(["b", "b", "default"]))
            Assert.Contains("3 adapters (one per row)", Assert.Throws<InvalidOperationException>(() => model.forward(ids)).Message);
        Assert.Contains("no adapter named 'x'", Assert.Throws<InvalidOperationException>(() => model.UseAdapterPerRow(["x", "b"])).Message);
        model.MergeLoRA();
        Assert.Contains("merged", Assert.Throws<InvalidOperationException>(() => model.UseAdapterPerRow(["b", "b"])).Message);
    }

    private static Tensor Forward(TinyNet model, Tensor ids, string[] rows)
    {
        using var scope = model.UseAdapterPerRow(rows);
        return model.forward(ids);
    }

    private static Tensor WithAdapter(TinyNet model, Tensor ids, string name)
    {
        using var scope = model.UseAdapter(name);
        return model.forward(ids);
    }

    private static Tensor WithoutLora(TinyNet model, Tensor ids)
    {
        using var off = model.DisableLoRA();
        return model.forward(ids);
    }
}
