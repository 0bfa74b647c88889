namespace LoraSdk;

/// <summary>
/// One adapted layer of a <c>[LoRA]</c> class as declared in source: generated classes expose these as
/// <c>static LoraTargets</c>, so tools read a model's LoRA layout without reflection or an instance.
/// </summary>
/// <param name="Name">The field (or property) name, which is also the target's name in adapter files.</param>
/// <param name="Kind">The kind of layer adapted.</param>
/// <param name="Options">Rank, alpha, dropout, rsLoRA and initialisation, as the attributes resolve them.</param>
public sealed record LoraTargetInfo(string Name, LoraLayerKind Kind, LoraOptions Options)
{
    public int Rank => Options.Rank;
    public double Alpha => Options.Alpha;
    public double Dropout => Options.Dropout;
    public bool UseRsLoRA => Options.UseRsLoRA;
    public LoraInit Init => Options.Init;
    public double Scaling => Options.Scaling;
}
