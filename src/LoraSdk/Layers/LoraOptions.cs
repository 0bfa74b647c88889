namespace LoraSdk;

/// <summary>The hyper-parameters of one adapter.</summary>
public sealed record LoraOptions
{
    public LoraOptions(int rank, double alpha, double dropout = 0, bool useRsLoRA = false, LoraInit init = LoraInit.Kaiming)
    {
        if (rank <= 0) throw new ArgumentOutOfRangeException(nameof(rank), rank, "LoRA rank must be positive.");
        if (!(alpha > 0) || double.IsInfinity(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "LoRA alpha must be a positive number.");
        if (!(dropout >= 0 && dropout < 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "LoRA dropout must be in [0, 1).");
        Rank = rank;
        Alpha = alpha;
        Dropout = dropout;
        UseRsLoRA = useRsLoRA;
        Init = init;
    }

    public int Rank { get; }
    public double Alpha { get; }
    public double Dropout { get; }
    public bool UseRsLoRA { get; }
    public LoraInit Init { get; }

    /// <summary>alpha / r, or alpha / √r with rsLoRA.</summary>
    public double Scaling => UseRsLoRA ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    public static LoraOptions From(LoRAAttribute attribute) =>
        new(attribute.Rank, attribute.Alpha, attribute.Dropout, attribute.UseRsLoRA, attribute.Init);
}
