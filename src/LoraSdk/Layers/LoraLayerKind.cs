namespace LoraSdk;

/// <summary>The kinds of layer an adapter can wrap.</summary>
public enum LoraLayerKind
{
    Linear,
    Conv2d,
    Embedding,
    Conv1d,
}
