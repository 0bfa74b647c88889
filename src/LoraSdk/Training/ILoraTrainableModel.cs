using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>
/// How the trainer talks to a model: it must be a TorchSharp <see cref="nn.Module"/> with LoRA adapters
/// attached (by the <c>[LoRA]</c> generator or <see cref="LoraAdapter.Attach"/>), and map a padded batch to logits.
/// </summary>
public interface ILoraTrainableModel
{
    /// <summary>What the model is trained for: it chooses the trainer's loss.</summary>
    LoraTask Task { get; }

    /// <summary>
    /// Logits for a batch. <paramref name="inputIds"/> and <paramref name="attentionMask"/> are int64
    /// (batch × length), mask 1 for real tokens and 0 for padding. Causal LMs return (batch × length × vocab)
    /// where position t predicts token t+1; classifiers return (batch × labels).
    /// </summary>
    Tensor ComputeLogits(Tensor inputIds, Tensor attentionMask);
}
