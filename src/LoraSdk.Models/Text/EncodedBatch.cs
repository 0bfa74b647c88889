using static TorchSharp.torch;

namespace LoraSdk.Models;

/// <summary>Token ids and attention mask of a padded batch, both (batch × longest sequence), int64.</summary>
public sealed record EncodedBatch(Tensor InputIds, Tensor AttentionMask) : IDisposable
{
    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
    }
}
