namespace LoraSdk.Training;

/// <summary>
/// Linear warm-up from 0 to the peak, then decay to 0 at the last step (as HF's get_cosine/linear_schedule_with_warmup).
/// A pure function of the step, so the scheduler's state in a checkpoint is just the step.
/// </summary>
public static class LearningRateSchedule
{
    /// <summary>The rate for optimizer step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public static double At(int step, int totalSteps, int warmupSteps, double peak, LearningRateDecay decay)
    {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        if (decay == LearningRateDecay.Constant) return peak;
        int decaySteps = Math.Max(1, totalSteps - warmupSteps);
        double progress = Math.Clamp((double)(step - warmupSteps) / decaySteps, 0, 1);
        return decay == LearningRateDecay.Linear
            ? peak * (1 - progress)
            : peak * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
