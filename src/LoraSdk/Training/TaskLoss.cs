using LoraSdk.Data;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>The loss of each task, and the counts needed to average it exactly over a whole split.</summary>
internal static class TaskLoss
{
    private const long Ignored = -100;

    /// <summary>Mean loss of the batch and how many items (tokens or examples) it averages over.</summary>
    public static (Tensor Loss, long Count) Compute(LoraTask task, Tensor logits, Batch batch) => task switch
    {
        LoraTask.CausalLanguageModeling => NextTokenLoss(logits, batch),
        _ => ClassificationLoss(logits, batch),
    };

    /// <summary>
    /// Position t predicts token t+1; targets at padded positions are ignored, and so are those the batch's
    /// <see cref="Batch.TokenLabels"/> mark -100 (the prompt tokens of instruction data).
    /// </summary>
    private static (Tensor, long) NextTokenLoss(Tensor logits, Batch batch)
    {
        long length = batch.InputIds.shape[1];
        if (length < 2) throw new ArgumentException("Causal language modelling needs sequences of at least two tokens.");
        var predictions = logits[.., ..(int)(length - 1), ..];
        Tensor maskedTargets;
        if (batch.TokenLabels is { } tokenLabels)
        {
            maskedTargets = tokenLabels[.., 1..];
        }
        else
        {
            var real = batch.AttentionMask[.., 1..].ne(0);
            maskedTargets = batch.InputIds[.., 1..].masked_fill(real.logical_not(), Ignored);
        }
        long count = maskedTargets.ne(Ignored).sum().item<long>();
        var loss = nn.functional.cross_entropy(
            predictions.reshape(-1, predictions.shape[2]), maskedTargets.reshape(-1), ignore_index: Ignored);
        return (loss, count);
    }

    private static (Tensor, long) ClassificationLoss(Tensor logits, Batch batch)
    {
        var labels = batch.Labels ?? throw new ArgumentException("Sequence classification needs labelled examples.");
        return (nn.functional.cross_entropy(logits, labels), labels.shape[0]);
    }
}
