using LoraSdk.Data;
using static TorchSharp.torch;

namespace LoraSdk.Training.Tests.Training;

public class LossAndScheduleTests
{
    [Fact]
    public void NextTokenLossSkipsPaddingAndMatchesAFloat64Reference()
    {
        using var batch = Batch.Collate([new EncodedExample([1, 2, 3]), new EncodedExample([2, 0])], paddingId: 3);
        var values = Enumerable.Range(0, 2 * 3 * 4).Select(i => (float)Math.Sin(i * 0.7)).ToArray();
        using var logits = tensor(values, [2, 3, 4]);
        var (loss, count) = TaskLoss.Compute(LoraTask.CausalLanguageModeling, logits, batch);

        // Scored pairs (row, position, next token): (0,0,2), (0,1,3), (1,0,0); row 1 position 1 predicts padding.
        (int Row, int Pos, int Target)[] pairs = [(0, 0, 2), (0, 1, 3), (1, 0, 0)];
        double expected = pairs.Average(p =>
        {
            var row = Enumerable.Range(0, 4).Select(v => (double)values[(p.Row * 3 + p.Pos) * 4 + v]).ToArray();
            double logSumExp = Math.Log(row.Sum(Math.Exp));
            return logSumExp - row[p.Target];
        });
        Assert.Equal(3, count);
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void WarmupRisesLinearlyThenCosineFallsToZero()
    {
        double At(int step) => LearningRateSchedule.At(step, totalSteps: 10, warmupSteps: 2, peak: 1.0, LearningRateDecay.Cosine);
        Assert.Equal(0.5, At(0), 12);
        Assert.Equal(1.0, At(1), 12);
        Assert.Equal(1.0, At(2), 12);
        Assert.Equal(0.5 * (1 + Math.Cos(Math.PI * 4 / 8)), At(6), 12);
        Assert.Equal(0.0, At(10), 12);
    }

    [Fact]
    public void LinearAndConstantDecay()
    {
        Assert.Equal(0.25, LearningRateSchedule.At(6, 8, 0, 1.0, LearningRateDecay.Linear), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(6, 8, 0, 1.0, LearningRateDecay.Constant), 12);
    }
}
