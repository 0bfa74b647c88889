using LoraSdk.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraSdk.Training;

/// <summary>Loss (and accuracy for classifiers) over a whole split, in eval mode, without gradients.</summary>
internal static class Evaluator
{
    public static (double Loss, double? Accuracy) Evaluate(nn.Module model, ILoraTrainableModel task, IReadOnlyList<EncodedExample> examples,
        int batchSize, int paddingId, Device device)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            double lossSum = 0;
            long count = 0, correct = 0, examplesSeen = 0;
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var slice = examples.Skip(start).Take(batchSize).ToList();
                using var batch = Batch.Collate(slice, paddingId, device);
                var logits = task.ComputeLogits(batch.InputIds, batch.AttentionMask);
                var (loss, n) = TaskLoss.Compute(task.Task, logits, batch);
                lossSum += loss.item<float>() * n;
                count += n;
                if (task.Task == LoraTask.SequenceClassification)
                {
                    correct += logits.argmax(1).eq(batch.Labels!).sum().item<long>();
                    examplesSeen += slice.Count;
                }
            }
            double? accuracy = task.Task == LoraTask.SequenceClassification ? (double)correct / examplesSeen : null;
            return (count == 0 ? double.NaN : lossSum / count, accuracy);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
