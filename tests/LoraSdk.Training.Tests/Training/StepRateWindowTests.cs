namespace LoraSdk.Training.Tests.Training;

/// <summary>The progress rate across epoch boundaries, driven by a fake clock (seconds as numbers).</summary>
public class StepRateWindowTests
{
    // An epoch of 4 steps: three full batches of 0.1 s, then the partial last batch (one example) of 1 ms,
    // then a 0.4 s evaluation at the boundary. Every step is reported (LogEvery = 1), as the trainer does.
    private const double FullStep = 0.1, PartialStep = 0.001, Evaluation = 0.4;
    private const int StepsPerEpoch = 4;

    private static List<(int Step, double Rate)> Run(int epochs)
    {
        var window = new StepRateWindow(StepsPerEpoch, step: 0, seconds: 0);
        var rates = new List<(int, double)>();
        double now = 0;
        for (int step = 1; step <= epochs * StepsPerEpoch; step++)
        {
            bool lastOfEpoch = step % StepsPerEpoch == 0;
            now += lastOfEpoch ? PartialStep : FullStep;
            rates.Add((step, window.Record(step, now)));
            if (lastOfEpoch) now += Evaluation;
        }
        return rates;
    }

    [Fact]
    public void The_partial_batch_at_an_epoch_end_does_not_read_as_a_burst_of_speed()
    {
        var rates = Run(epochs: 3);

        // A one-step window would say 1 / 0.001 s = 1000 steps/s here; the first epoch counts from the start.
        Assert.Equal(4 / (3 * FullStep + PartialStep), rates[3].Rate, 9);
        // Nothing reads faster than a whole epoch without its evaluation.
        Assert.All(rates, r => Assert.True(r.Rate <= 4 / (3 * FullStep + PartialStep) + 1e-9, $"step {r.Step}: {r.Rate:0.0} steps/s"));
    }

    [Fact]
    public void The_rate_is_steps_over_the_wall_time_of_the_last_epoch_evaluations_included()
    {
        var rates = Run(epochs: 3);

        // The step after an evaluation: the window is steps 2..5, from step 1's end (0.1 s) to step 5's end.
        double step5End = 3 * FullStep + PartialStep + Evaluation + FullStep;
        Assert.Equal(4 / (step5End - FullStep), rates[4].Rate, 9);
        // Each later epoch end: one whole epoch of steps over one whole epoch of wall time, so the ETA
        // (remaining steps / rate) matches what the remaining epochs really take.
        double epoch = 3 * FullStep + PartialStep + Evaluation;
        Assert.Equal(StepsPerEpoch / epoch, rates[7].Rate, 9);
        Assert.Equal(StepsPerEpoch / epoch, rates[11].Rate, 9);
        var progress = new StepProgress(8, 12, 2, 1.0, 1e-3, rates[7].Rate, TimeSpan.Zero);
        Assert.Equal(epoch, progress.Remaining.TotalSeconds, 3);
    }

    [Fact]
    public void A_resumed_run_counts_from_its_first_step()
    {
        var window = new StepRateWindow(StepsPerEpoch, step: 40, seconds: 0);

        Assert.Equal(2 / 0.5, window.Record(42, 0.5), 9);
    }
}
