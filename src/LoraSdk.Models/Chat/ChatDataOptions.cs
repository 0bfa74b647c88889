namespace LoraSdk.Models;

/// <summary>What to do with a conversation longer than <see cref="ChatDataOptions.MaxLength"/> tokens.</summary>
public enum ChatOverflow
{
    /// <summary>Drop tokens from the start of the conversation (the oldest turns go first); a cut inside an assistant turn is a warning.</summary>
    TruncateLeft,

    /// <summary>Refuse the record: <c>file(line,1): error LORA206</c> before training starts.</summary>
    Refuse,
}

/// <summary>How instruction data becomes training sequences (<see cref="ChatDataset"/>).</summary>
public sealed record ChatDataOptions
{
    /// <summary>The longest sequence in tokens (default 1024); also the length packed rows are filled to.</summary>
    public int MaxLength { get; init; } = 1024;

    /// <summary>What happens to a longer conversation (default <see cref="ChatOverflow.TruncateLeft"/>).</summary>
    public ChatOverflow Overflow { get; init; } = ChatOverflow.TruncateLeft;

    /// <summary>
    /// Packs consecutive short examples into rows of up to <see cref="MaxLength"/> tokens; each keeps its own positions
    /// and attends only within itself (<see cref="CausalLM.CallPacked"/>), so fewer padding tokens are computed.
    /// </summary>
    public bool Pack { get; init; }

    /// <summary>The chat template; null uses the tokenizer folder's (tokenizer_config.json's <c>chat_template</c>).</summary>
    public ChatTemplate? Template { get; init; }
}
