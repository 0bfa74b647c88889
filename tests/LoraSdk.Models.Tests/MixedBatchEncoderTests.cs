using LoraSdk;
using LoraSdk.Models;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests;

/// <summary>Mixed batches through the generated interceptors of the BERT encoder (query/value adapters).</summary>
public sealed class MixedBatchEncoderTests
{
    [Fact]
    public void Each_row_through_the_generated_path_equals_its_own_run_with_its_adapter()
    {
        using var model = TinyBert.Create(seed: 31);
        var generator = new Generator(7);
        void Randomize()
        {
            using var _ = no_grad();
            foreach (var (_, p) in model.LoraParameters()) p.copy_(randn(p.shape, generator: generator) * 0.3);
        }
        Randomize();
        model.AddAdapter("billing", new LoraOptions(rank: 2, alpha: 4));
        model.AddAdapter("refund", new LoraOptions(rank: 8, alpha: 8, useRsLoRA: true));
        using (model.UseAdapter("billing")) Randomize();
        using (model.UseAdapter("refund")) Randomize();

        string[] rows = ["refund", "billing", "__base__", "default", "billing"];
        manual_seed(2);
        using var ids = randint(1, TinyBert.Config.VocabSize, [rows.Length, 7], dtype: ScalarType.Int64);
        using var mask = ones(rows.Length, 7, dtype: ScalarType.Int64);
        using var _ = no_grad();
        Tensor mixed;
        using (model.UseAdapterPerRow(rows)) mixed = model.call(ids, mask);
        using (mixed)
        {
            for (int row = 0; row < rows.Length; row++)
            {
                using var id = ids[row..(row + 1)];
                using var m = mask[row..(row + 1)];
                using var alone = Alone(model, rows[row], id, m);
                double error = (mixed[row..(row + 1)] - alone).abs().max().item<float>();
                Assert.True(error <= 1e-5, $"row {row} ({rows[row]}): {error:E2}");
            }
        }
    }

    private static Tensor Alone(BertModel model, string adapter, Tensor ids, Tensor mask)
    {
        if (adapter == "__base__")
        {
            using var off = model.DisableLoRA();
            return model.call(ids, mask);
        }
        using var scope = model.UseAdapter(adapter);
        return model.call(ids, mask);
    }
}
