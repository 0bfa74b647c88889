namespace LoraSdk.Training;

/// <summary>How the learning rate falls after warm-up.</summary>
public enum LearningRateDecay
{
    /// <summary>Half a cosine from the peak to 0.</summary>
    Cosine,
    /// <summary>A straight line from the peak to 0.</summary>
    Linear,
    /// <summary>The peak rate until the end.</summary>
    Constant,
}
