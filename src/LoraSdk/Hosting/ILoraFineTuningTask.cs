using LoraSdk.Training;
using static TorchSharp.torch;

namespace LoraSdk.Hosting;

/// <summary>
/// A fine-tuning task whose data the <c>LoRA</c> section's readers do not cover (instruction data rendered by a model's
/// chat template, say): registered as a service beside
/// <see cref="LoraFineTuningServiceCollectionExtensions.AddLoraFineTuning{TModel}"/>, it replaces how the hosted job
/// reads and encodes the data and may watch the training (sample generations at each evaluation). Everything else stays
/// the host's: options and their validation, the trainer with its loss (completion-only where the examples carry
/// <c>TokenLabels</c>), validation loss, early stopping, progress line, checkpoints and resume, the adapter, the loss
/// curve and the dependency file. <c>LoraSdk.Models</c>' <c>AddLoraChatFineTuning</c> registers the chat task.
/// </summary>
public interface ILoraFineTuningTask
{
    /// <summary>
    /// Reads, checks and encodes the configured data before the model is built (paths in <paramref name="options"/> are
    /// absolute). A bad record is a <see cref="Data.LoraInputException"/> naming file and line, as for every other format.
    /// </summary>
    LoraTaskData LoadData(LoraFineTuningOptions options);

    /// <summary>
    /// The observer the trainer reports to: <paramref name="progress"/> (the host's progress line, machine lines and
    /// checkpoints), or one that also does the task's own reporting and forwards every notification to it.
    /// <paramref name="adapterDirectory"/> is the absolute adapter folder (files written there ship with the adapter).
    /// </summary>
    ITrainingObserver Observe(nn.Module model, LoraTaskData data, string adapterDirectory, ITrainingObserver progress) => progress;
}
