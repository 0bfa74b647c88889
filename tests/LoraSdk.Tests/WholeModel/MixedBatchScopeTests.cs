using LoraSdk.Tests.Adapters;
using TorchSharp;
using static TorchSharp.torch;
using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.WholeModel;

/// <summary>
/// State changes while a <c>UseAdapterPerRow</c> scope is in force: those that would silently give rows another
/// adapter than they named (merging, switching, adding, deleting, loading, quantizing) are refused and change nothing;
/// those with an exact meaning (DisableLoRA: base outputs; to(dtype): same rows, other precision) keep every row right.
/// </summary>
public sealed class MixedBatchScopeTests
{
    private static readonly string[] Rows = ["b", "default", "b", "__base__"];

    [Fact]
    public void MergeLoRA_during_a_per_row_scope_is_refused_and_rows_keep_their_adapters()
    {
        using var model = TwoAdapterModel();
        using var ids = Ids();
        using var before = PerRow(model, ids);
        using (model.UseAdapterPerRow(Rows))
        {
            var error = Assert.Throws<InvalidOperationException>(() => model.MergeLoRA());
            Assert.Contains("UseAdapterPerRow", error.Message);
            Assert.DoesNotContain(model.ActiveLoraAdapters(), a => a.Adapter.IsMerged);
            using var after = model.forward(ids);
            Assert.True(Same(before, after), "a refused merge changed the mixed batch's output");
        }
    }

    [Fact]
    public void Merging_one_layer_during_a_per_row_scope_is_refused()
    {
        using var model = TwoAdapterModel();
        using (model.UseAdapterPerRow(Rows))
            Assert.Contains("UseAdapterPerRow", Assert.Throws<InvalidOperationException>(() => model.ActiveLoraAdapters()[1].Adapter.Merge()).Message);
    }

    [Fact]
    public void Adapter_set_changes_during_a_per_row_scope_are_refused()
    {
        using var model = TwoAdapterModel();
        using var folder = NewFolder();
        model.SaveAdapter(folder.Path);
        using var scope = model.UseAdapterPerRow(Rows);
        AssertRefused(() => model.SetActiveAdapter("b"));
        AssertRefused(() => model.AddAdapter("c", new LoraOptions(2, 2)));
        AssertRefused(() => model.DeleteAdapter("b"));
        AssertRefused(() => model.LoadAdapter(folder.Path, "c"));
        AssertRefused(() => model.LoadAdapter(folder.Path));
        AssertRefused(() => model.AddWeightedAdapter([("b", 1.0)], "w", AdapterCombination.Linear));
        AssertRefused(() => model.QuantizeBase(LoraBase.Int8, "embed", "head"));
        Assert.Equal(["default", "b"], model.AdapterNames());
        Assert.Equal("default", model.ActiveAdapter());
    }

    [Fact]
    public void DisableLoRA_during_a_per_row_scope_gives_every_row_the_base_output_and_restores_the_rows()
    {
        using var model = TwoAdapterModel();
        using var ids = Ids();
        using var perRow = PerRow(model, ids);
        Tensor baseOnly;
        using (model.DisableLoRA()) baseOnly = model.forward(ids);
        using (baseOnly)
        using (model.UseAdapterPerRow(Rows))
        {
            using (model.DisableLoRA())
            {
                using var disabled = model.forward(ids);
                Assert.True(Same(baseOnly, disabled), "DisableLoRA inside a per-row scope must give base outputs");
            }
            using var again = model.forward(ids);
            Assert.True(Same(perRow, again), "after DisableLoRA's scope, rows must use their own adapters again");
        }
    }

    [Fact]
    public void Converting_the_model_during_a_per_row_scope_keeps_each_row_on_its_adapter()
    {
        using var model = TwoAdapterModel();
        using var ids = Ids();
        using var _ = no_grad();
        Tensor mixed;
        using (model.UseAdapterPerRow(Rows))
        {
            model.to(float64);
            mixed = model.forward(ids);
        }
        using (mixed)
        {
            Assert.Equal(ScalarType.Float64, mixed.dtype);
            for (int row = 0; row < Rows.Length; row++)
            {
                using var alone = Alone(model, ids[row..(row + 1)], Rows[row]);
                double error = (mixed[row..(row + 1)] - alone).abs().max().item<double>();
                Assert.True(error <= 1e-12, $"row {row} ({Rows[row]}): {error:E2}");
            }
        }
    }

    private static void AssertRefused(Action change) =>
        Assert.Contains("UseAdapterPerRow", Assert.Throws<InvalidOperationException>(change).Message);

    private static TinyNet TwoAdapterModel()
    {
        manual_seed(5);
        var model = new TinyNet();
        RandomizeLora(model, seed: 1);
        model.AddAdapter("b", new LoraOptions(rank: 3, alpha: 6));
        using (model.UseAdapter("b")) RandomizeLora(model, seed: 2);
        model.eval();
        return model;
    }

    private static Tensor Ids() => randint(0, TinyNet.Vocabulary, [Rows.Length, 5], dtype: ScalarType.Int64);

    private static Tensor PerRow(TinyNet model, Tensor ids)
    {
        using var scope = model.UseAdapterPerRow(Rows);
        return model.forward(ids);
    }

    private static Tensor Alone(TinyNet model, Tensor row, string adapter)
    {
        if (adapter == "__base__")
        {
            using var off = model.DisableLoRA();
            return model.forward(row);
        }
        using var scope = model.UseAdapter(adapter);
        return model.forward(row);
    }
}
