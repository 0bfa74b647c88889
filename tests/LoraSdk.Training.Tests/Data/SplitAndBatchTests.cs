using LoraSdk.Data;

namespace LoraSdk.Training.Tests.Data;

public class SplitAndBatchTests
{
    [Fact]
    public void PermutationIsSeededAndComplete()
    {
        var a = DataSplit.Permutation(50, seed: 7);
        Assert.Equal(a, DataSplit.Permutation(50, seed: 7));
        Assert.NotEqual(a, DataSplit.Permutation(50, seed: 8));
        Assert.Equal(Enumerable.Range(0, 50), a.Order());
    }

    [Fact]
    public void SplitHoldsOutTheFractionWithoutOverlap()
    {
        var items = Enumerable.Range(0, 20).ToList();
        var (train, validation) = DataSplit.Split(items, 0.25, seed: 1);
        Assert.Equal(5, validation.Count);
        Assert.Equal(items, train.Concat(validation).Order());
        Assert.Equal(validation, DataSplit.Split(items, 0.25, seed: 1).Validation);
    }

    [Fact]
    public void CollatePadsOnTheRightAndMasks()
    {
        using var batch = Batch.Collate([new EncodedExample([5, 6, 7], 1), new EncodedExample([8], 0)], paddingId: 0);
        Assert.Equal(new long[] { 5, 6, 7, 8, 0, 0 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 0 }, batch.Labels!.data<long>().ToArray());
    }
}
