namespace LoraSdk;

/// <summary>How the low-rank matrices start (PEFT's <c>init_lora_weights</c>).</summary>
public enum LoraInit
{
    /// <summary>A kaiming-uniform (a = √5), B zeros: the adapted model starts equal to the base.</summary>
    Kaiming,
    /// <summary>A normal(0, 1/r), B zeros.</summary>
    Gaussian,
    /// <summary>A/B from the top-r singular vectors of W; the residual stays in W (output unchanged).</summary>
    PiSSA,
}
