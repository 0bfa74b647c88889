namespace LoraSdk.Training;

/// <summary>How the learning rate falls after warm-up.</summary>
public enum LearningRateDecay
{
    Cosine,
    Linear,
    Constant,
}
