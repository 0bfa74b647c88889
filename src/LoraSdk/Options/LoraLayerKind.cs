namespace LoraSdk;

/// <summary>The kinds of layer an adapter can wrap.</summary>
public enum LoraLayerKind
{
    /// <summary><c>nn.Linear</c>.</summary>
    Linear,
    /// <summary><c>nn.Conv2d</c>.</summary>
    Conv2d,
    /// <summary><c>nn.Embedding</c>.</summary>
    Embedding,
    /// <summary><c>nn.Conv1d</c>.</summary>
    Conv1d,
}
