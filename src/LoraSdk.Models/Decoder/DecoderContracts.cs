using static TorchSharp.torch;

namespace LoraSdk.Models;

// The seams between the decoder-LLM parts (model, tokenizer, generation), written first so each part can be
// built and tested on its own: the model implements IDecodingSession, HuggingFaceTokenizer implements
// IGenerationTokenizer, and the generation loop depends only on these two.

/// <summary>
/// One generation's running state over a causal LM: the key/value cache of every layer for a fixed batch of sequences.
/// Rows never leave the batch (a finished row keeps being fed a pad token), so a per-row adapter scope stays valid.
/// </summary>
internal interface IDecodingSession : IDisposable
{
    /// <summary>Rows in the batch.</summary>
    long Batch { get; }

    /// <summary>Positions already in the cache (the same for every row; left padding counts as positions).</summary>
    long PastLength { get; }

    /// <summary>
    /// Feeds <paramref name="ids"/> (batch × t: the whole left-padded prompt on the first call, one token per row
    /// after) and returns float32 logits (batch × t × vocab) for these positions, appending their keys and values to
    /// the cache. <paramref name="attentionMask"/> (batch × (PastLength + t), int64 or bool) is 1 for real tokens and
    /// 0 for left padding; position ids are the running count of real tokens (as transformers derives them), so a
    /// padded row gets the same logits as the same prompt alone.
    /// </summary>
    Tensor Step(Tensor ids, Tensor attentionMask);
}

/// <summary>What generation needs from a tokenizer (implemented by <c>HuggingFaceTokenizer</c>).</summary>
internal interface IGenerationTokenizer
{
    /// <summary>Token ids of <paramref name="text"/>; with <paramref name="addSpecialTokens"/> the BOS (and EOS) the model's tokenizer adds, as transformers does.</summary>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens);

    /// <summary>The text of <paramref name="ids"/>; special tokens left out when <paramref name="skipSpecialTokens"/>.</summary>
    string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens);

    /// <summary>The beginning-of-sequence id, if the tokenizer has one.</summary>
    int? BosTokenId { get; }

    /// <summary>Ids that end a sequence (tokenizer_config's eos_token; generation_config.json may add more).</summary>
    IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>The padding id, if the tokenizer names one.</summary>
    int? PadTokenId { get; }

    /// <summary>
    /// Whether <see cref="Decode"/> applies transformers' <c>clean_up_tokenization_spaces</c> (" ." → "." and the like),
    /// which rewrites a trailing space once the next token arrives: streaming then holds such a tail back.
    /// </summary>
    bool CleansUpSpaces => false;
}
