using LoraSdk.Models;

namespace LoraSdk.Models.Tests;

[Collection(MiniLmCollection.Name)]
public sealed class BertTextEncoderTests(MiniLmFixture fixture)
{
    [Fact]
    public void Uncased_vocabulary_lower_cases_and_strips_accents()
    {
        Assert.Equal(fixture.Text.Encode("cafe deja vu"), fixture.Text.Encode("Café DÉJÀ vu"));
    }

    [Fact]
    public void Sequences_are_wrapped_in_cls_and_sep_and_truncated()
    {
        var tokenizer = fixture.Text.Tokenizer;
        var short8 = new BertTextEncoder(tokenizer, maxLength: 8);

        var ids = short8.Encode("one two three four five six seven eight nine ten");

        Assert.Equal(8, ids.Length);
        Assert.Equal(tokenizer.ClassificationId, ids[0]);
        Assert.Equal(tokenizer.SeparatorId, ids[^1]);
        Assert.Equal(fixture.Text.Encode("one two three four five six")[1..7], ids[1..7]);
    }

    [Fact]
    public void Batches_are_padded_with_a_zero_mask()
    {
        using var batch = fixture.Text.EncodeBatch(["hi", "a somewhat longer sentence"]);

        long[] shape = batch.InputIds.shape;
        var mask = batch.AttentionMask.data<long>().ToArray();
        var ids = batch.InputIds.data<long>().ToArray();
        int length = (int)shape[1];
        Assert.Equal(fixture.Text.Encode("a somewhat longer sentence").Length, length);
        Assert.Equal(3, mask.Take(length).Sum());
        Assert.All(ids.Skip(3).Take(length - 3), id => Assert.Equal(fixture.Text.Tokenizer.PaddingId, id));
        Assert.All(mask.Skip(length), m => Assert.Equal(1, m));
    }
}
