using LoraSdk.Data;
using LoraSdk.Models.Tests.Decoder;
using Xunit;
using static TorchSharp.torch;

namespace LoraSdk.Models.Tests.Chat;

/// <summary>Packing: rows of several examples, each with its own positions and attention (float64 against each example alone).</summary>
public sealed class PackingTests
{
    private static readonly int[][] Sequences = [[3, 7, 11, 5, 9], [4, 4, 8, 15, 1, 30, 2], [6, 12, 20, 33], [17, 18]];

    [Fact]
    public void The_packer_numbers_examples_and_never_scores_an_example_first_token()
    {
        var examples = Sequences.Select(s => new EncodedExample(s, TokenLabels: s.Select(id => id % 2 == 0 ? id : -100).ToArray())).ToList();
        var rows = ExamplePacker.Pack(examples, maxLength: 12);
        Assert.Equal(2, rows.Count);
        Assert.Equal([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2], rows[0].SegmentIds!);
        Assert.Equal([.. Sequences[0], .. Sequences[1]], rows[0].TokenIds);
        Assert.Equal([1, 1, 1, 1, 2, 2], rows[1].SegmentIds!);
        Assert.Equal(-100, rows[0].TokenLabels![5]); // 4 is even (scored alone) but starts the second example
        Assert.Equal(8, rows[0].TokenLabels![7]);
        Assert.Throws<ArgumentException>(() => ExamplePacker.Pack(examples, maxLength: 6));
    }

    [Fact]
    public void A_packed_row_gives_each_example_the_logits_it_has_alone()
    {
        using var dir = new TempDirectory();
        var spec = new TinyDecoderSpec();
        using var model = DecoderTestKit.LoadTiny(dir, spec, spec.RandomWeights(seed: 5));
        DecoderLoraKit.RandomizeAdapters(model, spec.RandomWeights(seed: 5), seed: 6);
        model.eval();
        var rows = ExamplePacker.Pack(Sequences.Select(s => new EncodedExample(s)).ToList(), maxLength: 12);
        using var batch = Batch.Collate(rows, paddingId: 0);
        using var _ = no_grad();
        var packed = model.ComputeLogits(batch.InputIds, batch.AttentionMask); // the mask holds the segment numbers
        double worst = 0;
        int[][] layout = [[0, 1], [2, 3]];
        for (int row = 0; row < 2; row++)
        {
            long offset = 0;
            foreach (int index in layout[row])
            {
                var ids = tensor(Sequences[index].Select(i => (long)i).ToArray()).unsqueeze(0);
                var alone = model.call(ids, ones_like(ids));
                var inRow = packed[row].narrow(0, offset, Sequences[index].Length).unsqueeze(0);
                worst = Math.Max(worst, (alone - inRow).abs().max().item<double>());
                offset += Sequences[index].Length;
            }
        }
        Assert.True(worst < 1e-10, $"packed logits differ from each example alone by {worst:g3}");
        // Without the segment numbers (one mask of 1s) the second example attends to the first: the test can tell.
        var unpacked = model.call(batch.InputIds, batch.AttentionMask.ne(0).to_type(ScalarType.Int64));
        var secondAlone = model.call(tensor(Sequences[1].Select(i => (long)i).ToArray()).unsqueeze(0), ones(1, Sequences[1].Length, ScalarType.Int64));
        Assert.True((unpacked[0].narrow(0, 5, 7) - secondAlone[0]).abs().max().item<double>() > 1e-3);
    }
}
