namespace LoraSdk;

/// <summary>
/// One adapted layer of a <c>[LoRA]</c> class as declared in source: generated classes expose these as
/// <c>static LoraTargets</c>, so tools read a model's LoRA layout without reflection or an instance.
/// </summary>
/// <param name="Name">The field (or property) name, which is also the target's name in adapter files.</param>
/// <param name="Kind">The kind of layer adapted.</param>
/// <param name="Options">Rank, alpha, dropout, rsLoRA, initialisation, base storage and DoRA, as the attributes resolve them.</param>
public sealed record LoraTargetInfo(string Name, LoraLayerKind Kind, LoraOptions Options)
{
    /// <summary>The declared <see cref="LoraOptions.Rank"/>.</summary>
    public int Rank => Options.Rank;
    /// <summary>The declared <see cref="LoraOptions.Alpha"/>.</summary>
    public double Alpha => Options.Alpha;
    /// <summary>The declared <see cref="LoraOptions.Dropout"/>.</summary>
    public double Dropout => Options.Dropout;
    /// <summary>The declared <see cref="LoraOptions.UseRsLoRA"/>.</summary>
    public bool UseRsLoRA => Options.UseRsLoRA;
    /// <summary>The declared <see cref="LoraOptions.Init"/>.</summary>
    public LoraInit Init => Options.Init;
    /// <summary>The declared <see cref="LoraOptions.Base"/>.</summary>
    public LoraBase Base => Options.Base;
    /// <summary>The declared <see cref="LoraOptions.UseDoRA"/>.</summary>
    public bool UseDoRA => Options.UseDoRA;
    /// <summary>The declared <see cref="LoraOptions.Scaling"/>.</summary>
    public double Scaling => Options.Scaling;
}
